/**
 * Loading Node-only modules without bundlers following them. A browser bundle of the codec must
 * not contain `node:crypto` & co.; a literal `import('./node.ts')` is followed by every bundler
 * (esbuild hoists its `node:` imports to the top of the bundle), a computed URL is not. The
 * branch that calls this only runs on Node.
 */
export const isNode: boolean = typeof process !== 'undefined' && process.versions?.node !== undefined;

/** Imports the sibling module `name` of the module at `metaUrl` (`.ts` from source, `.js` once built). */
export function importNodeSibling<T>(metaUrl: string, name: string): Promise<T> {
  const ext = metaUrl.endsWith('.ts') ? '.ts' : '.js';
  return import(new URL(`./${name}${ext}`, metaUrl).href) as Promise<T>;
}
