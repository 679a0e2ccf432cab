#!/usr/bin/env node
// In a checkout (src/ present) the CLI runs from the TypeScript source through tsx, so a dist/ left by an
// earlier `npm pack` (the package test runs one) is never used stale or half-rebuilt; the published package
// ships no src/ and runs the compiled dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
await cli.main();
