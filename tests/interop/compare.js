#!/usr/bin/env node
// Compares `flagctl eval --batch` answers with evaluate.js's (--engine both), line by line, on
// value, variant and reason. flagctl's DISABLED is flagd's STATIC: a disabled flag is exported
// static, serving its default (metadata `enabled: false`). Prints one JSON summary line; exits 1
// on any disagreement, listing the first few.
//
//   node compare.js FLAGD_FILE REQUESTS FLAGCTL_ANSWERS NODE_ANSWERS
'use strict';

const fs = require('fs');
const util = require('util');

const [file, requestsFile, flagctlFile, nodeFile] = process.argv.slice(2);
const document = JSON.parse(fs.readFileSync(file, 'utf8'));
const lines = (path) => fs.readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
const requests = lines(requestsFile);
const ours = lines(flagctlFile).map((l) => JSON.parse(l));
const theirs = lines(nodeFile).map((l) => JSON.parse(l));

const disabled = (flag) => document.flags[flag] && document.flags[flag].metadata && document.flags[flag].metadata.enabled === false;
const expected = (flag, answer) => ({
  value: answer.value,
  variant: answer.variant,
  reason: answer.reason === 'STATIC' && disabled(flag) ? 'DISABLED' : answer.reason,
});

const summary = { evaluations: requests.length, agree_core: 0, agree_provider: 0, reasons: {} };
const disagreements = [];
if (ours.length !== requests.length || theirs.length !== requests.length) {
  disagreements.push({ problem: `line counts differ: ${requests.length} requests, ${ours.length} flagctl, ${theirs.length} node` });
}
for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
  const mine = { value: ours[i].value ?? null, variant: ours[i].variant ?? null, reason: ours[i].reason ?? null };
  summary.reasons[mine.reason] = (summary.reasons[mine.reason] || 0) + 1;
  for (const engine of ['core', 'provider']) {
    const want = expected(ours[i].flag, theirs[i][engine]);
    if (util.isDeepStrictEqual(mine, want)) {
      summary[`agree_${engine}`] += 1;
    } else if (disagreements.length < 10) {
      disagreements.push({ line: i + 1, engine, request: JSON.parse(requests[i]), flagctl: ours[i], flagd: theirs[i][engine] });
    }
  }
}
summary.disagree_core = summary.evaluations - summary.agree_core;
summary.disagree_provider = summary.evaluations - summary.agree_provider;
console.log(JSON.stringify(summary));
for (const d of disagreements) console.error(JSON.stringify(d));
process.exit(disagreements.length ? 1 : 0);
