/**
 * Prints decoded objects as kubectl does, one at a time as they are read: a single object as
 * itself, several as a `kind: List` (YAML/JSON), or one per line (ndjson, name).
 */
import type { KubeObject } from '../storage/types.ts';
import { toJson, toJsonLine, toYaml } from '../storage/output.ts';
import type { Output } from './io.ts';
import { shown } from './printable.ts';

export const OBJECT_FORMATS = ['yaml', 'json', 'ndjson', 'name'] as const;
export type ObjectFormat = (typeof OBJECT_FORMATS)[number];

export interface ObjectWriter {
  item(obj: KubeObject): Promise<void>;
  end(): Promise<void>;
}

function indent(text: string, first: string, rest: string): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.map((l, i) => (l === '' ? l : (i === 0 ? first : rest) + l)).join('\n') + '\n';
}

/** `secret/name`, `deployment.apps/name`: kubectl's -o name. */
export function objectName(obj: KubeObject): string {
  const slash = obj.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : '.' + obj.apiVersion.slice(0, slash);
  const name = (obj.metadata as { name?: unknown } | undefined)?.name;
  return shown(`${obj.kind.toLowerCase()}${group}/${typeof name === 'string' ? name : ''}`);
}

/** One object's line for `-o ndjson` or `-o name`. */
export function objectLine(obj: KubeObject, format: 'ndjson' | 'name'): string {
  return (format === 'name' ? objectName(obj) : toJsonLine(obj)) + '\n';
}

export function formatObject(obj: KubeObject, format: 'yaml' | 'json'): string {
  const s = format === 'yaml' ? toYaml(obj) : toJson(obj);
  return s.endsWith('\n') ? s : s + '\n';
}

/** `single`: exactly one object was asked for by name, so no List around it. */
export function createObjectWriter(out: Output, format: ObjectFormat, single: boolean): ObjectWriter {
  let count = 0;
  if (format === 'ndjson' || format === 'name') {
    return {
      item: async (obj) => void (await out.write(objectLine(obj, format))),
      end: async () => {},
    };
  }
  if (single) {
    return { item: async (obj) => void (await out.write(formatObject(obj, format))), end: async () => {} };
  }
  if (format === 'yaml') {
    return {
      async item(obj) {
        await out.write((count++ === 0 ? 'apiVersion: v1\nitems:\n' : '') + indent(toYaml(obj), '- ', '  '));
      },
      async end() {
        await out.write((count === 0 ? 'apiVersion: v1\nitems: []\n' : '') + 'kind: List\nmetadata:\n  resourceVersion: ""\n');
      },
    };
  }
  return {
    async item(obj) {
      const head = count++ === 0 ? '{\n    "apiVersion": "v1",\n    "items": [\n' : ',\n';
      await out.write(head + indent(toJson(obj), '        ', '        ').replace(/\n$/, ''));
    },
    async end() {
      const head = count === 0 ? '{\n    "apiVersion": "v1",\n    "items": []' : '\n    ]';
      await out.write(head + ',\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n');
    },
  };
}
