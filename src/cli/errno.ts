/** A system error in words: `ENOSPC (no space left on device)` rather than a bare code or a stack. */
import { getSystemErrorMap } from 'node:util';

let byName: Map<string, string> | undefined;

export function describeErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return e instanceof Error ? e.message : String(e);
  byName ??= new Map([...getSystemErrorMap().values()].map(([name, text]) => [name, text]));
  const words = byName.get(code);
  return words === undefined ? code : `${code} (${words})`;
}
