/** The flags of the scan commands, get and verify: here, not in the commands, so that main.ts can read them early (scan-early.ts). */
import { CONFIG_OPTIONS, SOURCE_OPTIONS } from './args.ts';

export const GET_OPTIONS = {
  ...CONFIG_OPTIONS,
  ...SOURCE_OPTIONS,
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  output: { type: 'string', short: 'o' },
  'for-restore': { type: 'boolean' },
  'keep-owner-references': { type: 'boolean' },
  out: { type: 'string' },
  workers: { type: 'string' },
} as const;

export const VERIFY_OPTIONS = {
  ...CONFIG_OPTIONS,
  ...SOURCE_OPTIONS,
  output: { type: 'string', short: 'o' },
  workers: { type: 'string' },
  report: { type: 'string' },
  'failures-only': { type: 'boolean' },
} as const;
