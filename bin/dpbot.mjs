#!/usr/bin/env node
// The entry point `npm start` and `npm run dpbot` use: checks the Node version before loading any
// TypeScript, which an older Node cannot even parse.
import { nodeProblem } from './nodeCheck.mjs';

const problem = nodeProblem(process.versions.node);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
import('./dpbot.ts').catch((error) => {
  process.stderr.write(`${String(error?.stack || error)}\n`);
  process.exit(1);
});
