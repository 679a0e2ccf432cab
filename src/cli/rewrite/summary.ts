/** `rewrite`'s per-resource counts and the summary table it prints, shaped like verify's. */
import type { Output } from '../io.ts';

export interface ResourceCounts {
  rewritten: number;
  fresh: number;
  failed: number;
}

export class RewriteTally {
  readonly byResource = new Map<string, ResourceCounts>();
  /** Guarded puts that lost to a concurrent writer and were re-read. */
  retried = 0;
  /** Keys that kept changing under a live rewrite (counted as failed too). */
  unsettled = 0;
  /** Keys deleted by someone else between our read and our write: nothing left to rewrite. */
  gone = 0;

  private row(resource: string): ResourceCounts {
    let r = this.byResource.get(resource);
    if (r === undefined) this.byResource.set(resource, (r = { rewritten: 0, fresh: 0, failed: 0 }));
    return r;
  }

  add(resource: string, what: keyof ResourceCounts): void {
    this.row(resource)[what]++;
  }

  get total(): ResourceCounts {
    const t = { rewritten: 0, fresh: 0, failed: 0 };
    for (const r of this.byResource.values()) {
      t.rewritten += r.rewritten;
      t.fresh += r.fresh;
      t.failed += r.failed;
    }
    return t;
  }

  /** `dryRun` says "to rewrite" where a real run says "rewritten". */
  async write(out: Output, dryRun: boolean): Promise<void> {
    const t = this.total;
    const verb = dryRun ? 'to rewrite' : 'rewritten';
    const extra = [
      this.retried > 0 ? `; ${this.retried} retried after a concurrent write` : '',
      this.gone > 0 ? `; ${this.gone} deleted meanwhile` : '',
    ].join('');
    const cell = (v: string, w: number) => v.padEnd(w);
    const lines = [
      '',
      `${t.rewritten + t.fresh + t.failed} values: ${t.rewritten} ${verb}, ${t.fresh} already fresh, ${t.failed} failed${extra}`,
      `${cell('RESOURCE', 32)} ${cell(dryRun ? 'TO-REWRITE' : 'REWRITTEN', 10)} ${cell('FRESH', 10)} FAILED`,
      ...[...this.byResource.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, r]) => `${cell(name, 32)} ${cell(String(r.rewritten), 10)} ${cell(String(r.fresh), 10)} ${r.failed}`),
    ];
    await out.write(lines.join('\n') + '\n');
  }
}
