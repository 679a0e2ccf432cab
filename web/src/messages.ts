/** What the page and its snapshot worker say to each other (structured clone: plain data and the File). */
import type { ChartRow } from '../../src/cli/report-chart.ts';
import type { VerifyRecord } from '../../src/cli/scan-format.ts';
import type { VerifySummary } from '../../src/cli/verify-summary.ts';

export type ToWorker = { type: 'scan'; file: File; config: string; etcdPrefix: string } | { type: 'object'; index: number };

/** One verify record, as `k8s-enc verify -o ndjson` prints it. */
export type PageRecord = VerifyRecord;

export interface ObjectView {
  key: string;
  yaml?: string;
  /** A Secret's `data`, decoded: text where it is UTF-8, else hex. */
  secretData?: [string, string][];
  error?: string;
}

export type FromWorker =
  | { type: 'progress'; phase: 'hash' | 'index' | 'read'; done: number; total: number }
  | {
      type: 'scanned';
      records: PageRecord[];
      summary: VerifySummary;
      summaryText: string;
      rows: ChartRow[];
      revision: number;
      hashChecked: boolean;
      millis: number;
    }
  | { type: 'object'; index: number; view: ObjectView }
  | { type: 'error'; message: string };
