/**
 * Pasted input in bounded memory (issue #9 item 4): base64 and hex are decoded straight from the
 * input bytes, so ≥150 MB on stdin no longer aborts V8 (exit 133), and the decoder still answers
 * exactly as Go's StdEncoding does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decodeGoStdBase64 } from '../src/bytes.ts';
import { parseValueInput } from '../src/value/input.ts';
import { referenceGoStdBase64 } from './support/base64-reference.ts';

test('property: the bounded-memory base64 decoder equals the earlier one on any text', () => {
  const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n -_.é\0'.split(''));
  fc.assert(
    fc.property(
      fc.array(alphabet, { maxLength: 64 }).map((a) => a.join('')),
      (s) => {
        assert.deepEqual(decodeGoStdBase64(s), referenceGoStdBase64(s), JSON.stringify(s));
        assert.deepEqual(decodeGoStdBase64(Buffer.from(s)), referenceGoStdBase64(s));
      },
    ),
    { numRuns: 20_000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      const s = Buffer.from(b).toString('base64');
      assert.deepEqual(decodeGoStdBase64(s), new Uint8Array(b));
    }),
  );
});

test('hex and base64 input with whitespace anywhere decode as before', () => {
  const value = Buffer.concat([Buffer.from('k8s:enc:aescbc:v1:key1:'), randomBytes(48)]);
  const b64 = value.toString('base64').replace(/(.{10})/g, '$1 \n\t');
  assert.deepEqual(Buffer.from(parseValueInput(Buffer.from(b64)).value), value);
  const hex = ' 0x' + value.toString('hex').replace(/(.{6})/g, '$1\n');
  assert.deepEqual(Buffer.from(parseValueInput(Buffer.from(hex)).value), value);
  assert.equal(parseValueInput(Buffer.from('0x')).format, 'raw');
});

test('160 MB of base64 on stdin: inspect answers within a 320 MB heap, no V8 abort', { timeout: 120_000 }, async () => {
  const value = Buffer.alloc(120 << 20, 7);
  Buffer.from('k8s:enc:aescbc:v1:key1:').copy(value);
  const text = Buffer.from(value.toString('base64') + '\n');
  const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=320', 'bin/k8s-enc.js', 'inspect', '-o', 'json'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.on('error', () => {});
    child.stdin.end(text);
  });
  assert.equal(r.code, 0, r.err.slice(0, 2000));
  const report = JSON.parse(r.out) as { inputFormat: string; length: number; provider: string };
  assert.deepEqual([report.inputFormat, report.length, report.provider], ['base64', 120 << 20, 'aescbc']);
});
