/**
 * No line over 140 characters in the code (src, test, bench, scripts, bin, web/src). The formatter wraps
 * code at 140 (biome.json); this catches what it leaves alone: comments, and lines made long by
 * their content. A line may run longer only because of one literal that has to stay whole — an
 * upstream error text, a hex vector, a regular expression — of 40 characters or more; a comment
 * never. Prints each offending line and exits 1 if there is any.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const MAX = 140;
const WHOLE_LITERAL = 40;
const ROOTS = ['src', 'test', 'bench', 'scripts', 'bin', 'web/src'];
const SKIP_DIRS = new Set(['node_modules', '.work', 'dist']);
const CODE = /\.(ts|js|mjs|cjs)$/;
const GENERATED = /\.generated\.ts$/;
const LITERAL = /'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`|\/(?:[^/\\\n]|\\.)+\/[a-z]*/g;

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) yield* files(path);
    } else if (CODE.test(e.name) && !GENERATED.test(e.name)) yield path;
  }
}

function isComment(line: string): boolean {
  return /^\s*(\/\/|\/\*|\*)/.test(line);
}

function longestLiteral(line: string): number {
  let longest = 0;
  for (const m of line.matchAll(LITERAL)) longest = Math.max(longest, m[0].length);
  return longest;
}

let bad = 0;
for (const root of ROOTS) {
  for (const path of files(root)) {
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.length <= MAX) return;
        if (!isComment(line) && longestLiteral(line) >= WHOLE_LITERAL) return;
        bad++;
        console.log(`${path}:${i + 1}: ${line.length} characters (max ${MAX})`);
      });
  }
}
if (bad > 0) {
  console.log(`${bad} line${bad === 1 ? '' : 's'} over ${MAX} characters`);
  process.exit(1);
}
