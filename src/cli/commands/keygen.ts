import { randomBytes } from 'node:crypto';
import { toBase64 } from '../../bytes.ts';
import { parseCommandArgs, str, UsageError } from '../args.ts';
import { EXIT_OK, type CliIo } from '../io.ts';

const OPTIONS = { name: { type: 'string' } } as const;
const PROVIDERS = ['aescbc', 'aesgcm', 'secretbox'] as const;

const ROTATION_NOTE: Record<(typeof PROVIDERS)[number], string> = {
  aescbc: '# aescbc has no integrity check; the Kubernetes docs recommend aesgcm, secretbox or KMS v2 instead.',
  aesgcm: '# aesgcm uses random nonces: rotate this key before about 2^32 writes.',
  secretbox: '# secretbox: XSalsa20-Poly1305 with a 32-byte key.',
};

export async function keygenCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommandArgs('keygen', argv, OPTIONS);
  const [provider, extra] = p.positionals;
  if (provider === undefined) throw new UsageError('keygen', 'say which provider: aescbc, aesgcm or secretbox');
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    throw new UsageError('keygen', `unknown provider ${JSON.stringify(provider)}: want aescbc, aesgcm or secretbox`);
  }
  if (extra !== undefined) throw new UsageError('keygen', `unexpected argument ${JSON.stringify(extra)}`);
  const name = str(p, 'name') ?? 'key1';
  if (name === '') throw new UsageError('keygen', '--name must not be empty');
  // Printing the key is the whole point of keygen, and the only place k8s-enc prints key material.
  const secret = toBase64(randomBytes(32));
  await io.stdout.write(
    [
      `# A fresh 32-byte ${provider} key from the OS CSPRNG. Keep this file private (chmod 600).`,
      ROTATION_NOTE[provider as (typeof PROVIDERS)[number]],
      '# To rotate: put the new key first, keep the old keys after it, restart every apiserver,',
      '# then rewrite all Secrets (kubectl get secrets -A -o json | kubectl replace -f -).',
      'apiVersion: apiserver.config.k8s.io/v1',
      'kind: EncryptionConfiguration',
      'resources:',
      '  - resources:',
      '      - secrets',
      '    providers:',
      `      - ${provider}:`,
      '          keys:',
      `            - name: ${JSON.stringify(name)}`,
      `              secret: ${secret}`,
      '      - identity: {}',
      '',
    ].join('\n'),
  );
  return EXIT_OK;
}
