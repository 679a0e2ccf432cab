/** vectors/salvage/: the real snapshot the salvage tests and snapshot fuzz targets damage, and its history. */
import { readFileSync } from 'node:fs';

export const SALVAGE_DIR = 'vectors/salvage';
export const SALVAGE_SNAPSHOT = `${SALVAGE_DIR}/snapshot.db`;
export const SALVAGE_CONFIG = `${SALVAGE_DIR}/encryption-config.yaml`;

export type HistoryEntry =
  | { revision: number; op: 'put'; key: string; writtenWith: string; generation: number; bytes: number }
  | { revision: number; op: 'delete'; key: string };

export function salvageHistory(): HistoryEntry[] {
  return JSON.parse(readFileSync(`${SALVAGE_DIR}/history.json`, 'utf8')) as HistoryEntry[];
}

/** Each key's last operation, from the history alone. */
export function lastOps(history: HistoryEntry[]): Map<string, HistoryEntry> {
  const last = new Map<string, HistoryEntry>();
  for (const h of history) last.set(h.key, h);
  return last;
}
