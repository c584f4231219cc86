#!/usr/bin/env node
// Evaluates JSON Lines `{"flag": KEY, "context": {...}}` against a flagd flag file with OpenFeature's
// own engines, writing one JSON line per input line, in order:
//
//   node evaluate.js FLAGD_FILE [--engine core|provider|both] < requests.jsonl > answers.jsonl
//
// core:     @openfeature/flagd-core's FlagdCore, as flagd's in-process providers run it;
// provider: @openfeature/server-sdk with @openfeature/flagd-provider in-process, reading the file
//           offline (what an application using OpenFeature gets);
// both:     each line answered by both, as {"flag", "core": {...}, "provider": {...}}.
//
// An answer is {"value", "variant", "reason", "errorCode"}; with reason ERROR the value is null
// (the application would get the default it passed in).
'use strict';

const fs = require('fs');
const readline = require('readline');
const { FlagdCore } = require('@openfeature/flagd-core');

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node evaluate.js FLAGD_FILE [--engine core|provider|both]');
  process.exit(2);
}
const engineAt = rest.indexOf('--engine');
const engine = engineAt >= 0 ? rest[engineAt + 1] : 'core';
if (!['core', 'provider', 'both'].includes(engine)) {
  console.error(`unknown engine ${engine}`);
  process.exit(2);
}

const text = fs.readFileSync(file, 'utf8');
const document = JSON.parse(text);
const typeOf = (key) => (document.flags[key] && document.flags[key].metadata && document.flags[key].metadata.type) || 'string';
const SENTINEL = Symbol('default');
const quiet = { error() {}, warn() {}, info() {}, debug() {} };

const core = new FlagdCore(undefined, quiet);
core.setConfigurations(text);

function answer(result) {
  const error = result.reason === 'ERROR';
  return {
    value: error || result.value === SENTINEL ? null : result.value,
    variant: error ? null : (result.variant ?? null),
    reason: result.reason ?? null,
    errorCode: result.errorCode ?? null,
  };
}

function fromCore(flag, context) {
  return answer(core.resolve(typeOf(flag), flag, SENTINEL, context, quiet));
}

async function providerClient() {
  const { OpenFeature } = require('@openfeature/server-sdk');
  const { FlagdProvider } = require('@openfeature/flagd-provider');
  const provider = new FlagdProvider({ resolverType: 'in-process', offlineFlagSourcePath: file }, quiet);
  await OpenFeature.setProviderAndWait(provider);
  const client = OpenFeature.getClient();
  const methods = {
    boolean: 'getBooleanDetails',
    string: 'getStringDetails',
    number: 'getNumberDetails',
    object: 'getObjectDetails',
  };
  return {
    async evaluate(flag, context) {
      const details = await client[methods[typeOf(flag)]](flag, SENTINEL, context);
      return answer(details);
    },
    close: () => OpenFeature.close(),
  };
}

async function main() {
  const provider = engine === 'core' ? null : await providerClient();
  const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  const out = [];
  const flush = () => {
    if (out.length) {
      process.stdout.write(out.join(''));
      out.length = 0;
    }
  };
  for await (const line of input) {
    let request;
    try {
      request = JSON.parse(line);
    } catch (e) {
      out.push(JSON.stringify({ flag: null, error: `not JSON: ${e.message}` }) + '\n');
      continue;
    }
    const flag = request.flag;
    const context = request.context ?? {};
    if (engine === 'core') {
      out.push(JSON.stringify({ flag, ...fromCore(flag, context) }) + '\n');
    } else if (engine === 'provider') {
      out.push(JSON.stringify({ flag, ...(await provider.evaluate(flag, context)) }) + '\n');
    } else {
      const viaCore = fromCore(flag, context);
      const viaProvider = await provider.evaluate(flag, context);
      out.push(JSON.stringify({ flag, core: viaCore, provider: viaProvider }) + '\n');
    }
    if (out.length >= 4096) flush();
  }
  flush();
  if (provider) await provider.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
