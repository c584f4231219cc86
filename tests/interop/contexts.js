#!/usr/bin/env node
// Writes N evaluation requests (JSON Lines `{"flag", "context"}`) for every flag of a flagd file,
// from the attributes and values its targeting uses: matching values, near misses, missing
// attributes, mistyped ones (numbers as text, text as numbers, booleans, null, arrays, objects),
// and every kind of targetingKey (missing, empty, 0, a number, an array, text beyond Latin-1).
//
//   node contexts.js FLAGD_FILE COUNT [SEED] > requests.jsonl
'use strict';

const fs = require('fs');

const [file, countText, seedText] = process.argv.slice(2);
if (!file || !countText) {
  console.error('usage: node contexts.js FLAGD_FILE COUNT [SEED]');
  process.exit(2);
}
const document = JSON.parse(fs.readFileSync(file, 'utf8'));
const count = Number(countText);

// mulberry32: a small seeded generator, so the same seed gives the same requests.
let state = Number(seedText || 1) >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (items) => items[Math.floor(random() * items.length)];

// attribute -> literal values compared with it anywhere in the file.
const attributes = new Map();
function note(attribute, value) {
  if (!attributes.has(attribute)) attributes.set(attribute, new Set());
  if (value !== undefined) {
    for (const v of Array.isArray(value) ? value : [value]) attributes.get(attribute).add(JSON.stringify(v));
  }
}
function walk(node) {
  if (Array.isArray(node)) {
    node.forEach(walk);
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [op, args] of Object.entries(node)) {
    if (Array.isArray(args) && args[0] && typeof args[0] === 'object' && 'var' in args[0]) {
      note(args[0].var, op === 'sem_ver' ? args[2] : args[1]);
    }
    walk(args);
  }
}
walk(document);
note('tenant');
note('targetingKey');

function variations(literal) {
  const out = [literal];
  if (typeof literal === 'string') {
    out.push(literal.toUpperCase(), `${literal}x`, `x${literal}`, literal.slice(1), '');
    const n = Number(literal);
    if (!Number.isNaN(n)) out.push(n);
    const version = /^(\d+)\.(\d+)\.(\d+)/.exec(literal);
    if (version) {
      const [, a, b, c] = version.map(Number);
      out.push(`v${literal}`, `${a}.${b}`, `${a}`, `${a}.${b + 1}.0`, `${a}.${b}.${c}-rc.1`, `${a - 1}.9.9`,
        `${a}.${b}.${c}+build.7`, `${a}.${b}.${c}.1`, ` ${literal} `, Number(`${a}.${b}`), `0${a}.${b}.${c}`);
    }
    if (literal.includes('@')) out.push(`someone${literal}`, `x@${literal}.example`);
  } else if (typeof literal === 'number') {
    out.push(literal - 1, literal + 1, literal + 0.5, String(literal), `${literal} `, `0x${literal.toString(16)}`, '1e3', 'abc', -literal);
  } else if (typeof literal === 'boolean') {
    out.push(!literal, String(literal), literal ? 1 : 0);
  }
  return out;
}

const strange = [null, true, false, 0, -1, 7, 50, 4.2, '', '7', 'abc', 'null', [], [7], ['de'], {}, { a: 1 }, '日本', 'é'];
const keys = () => pick([
  undefined, undefined, '', 0, 1, 42, -7, 3.5, true, false, null, [], ['a', 'b'], {}, { id: 1 },
  `user-${Math.floor(random() * 1e6)}`, `user-${Math.floor(random() * 1e6)}`, `user-${Math.floor(random() * 1e6)}`,
  `${Math.floor(random() * 1e9)}`, `ünïcödé-${Math.floor(random() * 1e4)}`, `日本-${Math.floor(random() * 1e4)}`,
  `emoji-😀-${Math.floor(random() * 1e4)}`, 12345678901234567890,
]);

const pools = new Map();
for (const [attribute, literals] of attributes) {
  const pool = [];
  for (const l of literals) pool.push(...variations(JSON.parse(l)));
  pools.set(attribute, pool);
}
const tenants = pools.get('tenant');
tenants.push('acme', 'globex', 'initech', 'shopwell-demo', 'shopwell', 'ACME');

const flags = Object.keys(document.flags).sort();
const lines = [];
for (let i = 0; i < count; i++) {
  const flag = flags[i % flags.length];
  const context = {};
  for (const [attribute, pool] of pools) {
    if (attribute.startsWith('$flagd')) continue;
    const roll = random();
    if (roll < 0.25) continue; // missing
    const value = roll < 0.85 && pool.length ? pick(pool) : pick(strange);
    const path = attribute.split('.');
    let at = context;
    for (const part of path.slice(0, -1)) at = at[part] = at[part] && typeof at[part] === 'object' ? at[part] : {};
    at[path[path.length - 1]] = value;
  }
  const key = keys();
  if (key === undefined) delete context.targetingKey;
  else context.targetingKey = key;
  lines.push(JSON.stringify({ flag, context }));
}
process.stdout.write(lines.join('\n') + '\n');
