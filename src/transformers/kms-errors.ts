import { K8sEncError } from '../errors.ts';

/** A plugin may throw anything (gRPC status, Error, string); upstream only ever shows its text. */
function textOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** KMS v1 returns plugin errors unwrapped, so the plugin's own text is the whole message. */
export function pluginError(e: unknown): K8sEncError {
  return e instanceof K8sEncError ? e : new K8sEncError('ERR_KMS', textOf(e), { cause: e });
}

/** `<context>, error: <plugin text>`, as upstream's fmt.Errorf("...: %w") wrappers print. */
export function wrappedPluginError(context: string, e: unknown): K8sEncError {
  return new K8sEncError('ERR_KMS', `${context}, error: ${textOf(e)}`, { cause: e });
}
