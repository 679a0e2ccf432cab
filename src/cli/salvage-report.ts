/** What `--salvage` tells people on stderr: per-key warnings as values come, the damage at the end. */
import { fromUtf8 } from '../bytes.ts';
import { describeRange } from '../etcd/salvage/plan.ts';
import type { SalvageSource } from '../etcd/salvage/source.ts';
import type { EtcdSource, ScanItem } from '../etcd/source.ts';
import type { Output } from './io.ts';

/** Exit code when a salvage read met damage, whatever else happened: scripts must notice. */
export const EXIT_DAMAGED = 3;

export function isSalvage(source: EtcdSource): source is SalvageSource {
  return 'report' in source;
}

export function supersededWarning(item: ScanItem): string | null {
  if (!item.ok || item.mayBeSuperseded !== true) return null;
  const e = item.entry;
  return `warning: ${fromUtf8(e.key)}: may be superseded: its newest surviving revision ${e.modRevision} is older than a damaged range, which could have held a newer value or its delete`;
}

/** The notes and damaged pages; returns whether anything was damaged. */
export async function writeSalvageReport(out: Output, source: SalvageSource, superseded: number): Promise<boolean> {
  const { notes, damaged, metaDamaged } = source.report();
  const lines = notes.map((n) => `salvage: ${n}`);
  for (const d of damaged) {
    const where = d.page < 0 ? 'key bucket' : `page ${d.page}`;
    lines.push(`salvage: damaged ${where}: ${d.reason}; could have held ${describeRange(d)}`);
  }
  if (damaged.length === 0) lines.push('salvage: no damaged key bucket pages found');
  else
    lines.push(
      `salvage: ${damaged.length} damaged range${damaged.length === 1 ? '' : 's'}; ${superseded} value${superseded === 1 ? '' : 's'} may be superseded (warnings above)`,
    );
  await out.write(lines.join('\n') + '\n');
  return damaged.length > 0 || metaDamaged;
}
