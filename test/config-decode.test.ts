/**
 * Decoding as the apiserver's strict UniversalDecoder does it (kind/apiVersion, strict field
 * errors, YAML 1.1 scalars, Go durations), resource splitting and lookup, and the robustness
 * property: any input gives a config or a K8sEncError, nothing else.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatGoDuration, parseGoDuration } from '../src/config/go-duration.ts';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import { groupResourceString, parseGroupResource, providersForResource } from '../src/config/resources.ts';
import type { EncryptionConfig } from '../src/config/types.ts';
import { K8sEncError } from '../src/errors.ts';

const HEAD = 'kind: EncryptionConfiguration\napiVersion: apiserver.config.k8s.io/v1\n';
const BODY = 'resources:\n- resources: [secrets]\n  providers: [identity: {}]\n';
const DECODE = 'error while parsing file: error decoding encryption provider configuration file "<encryption-config>": ';

function decodeError(text: string): string {
  try {
    parseEncryptionConfig(text);
  } catch (e) {
    assert.ok(e instanceof K8sEncError);
    assert.equal(e.code, 'ERR_CONFIG_PARSE', e.message);
    assert.ok(e.message.startsWith(DECODE), e.message);
    return e.message.slice(DECODE.length);
  }
  assert.fail('the config was accepted');
}

describe('kind and apiVersion', () => {
  it('the legacy kind needs apiVersion v1, the current one apiserver.config.k8s.io/v1', () => {
    assert.equal(parseEncryptionConfig(`kind: EncryptionConfig\napiVersion: v1\n${BODY}`).kind, 'EncryptionConfig');
    assert.match(
      decodeError(`kind: EncryptionConfig\napiVersion: apiserver.config.k8s.io/v1\n${BODY}`),
      /^no kind "EncryptionConfig" is registered for version "apiserver.config.k8s.io\/v1" in scheme /,
    );
    assert.match(
      decodeError(`kind: EncryptionConfiguration\napiVersion: v1\n${BODY}`),
      /^no kind "EncryptionConfiguration" is registered for version "v1" /,
    );
  });
  it('missing kind or apiVersion quotes the whole file', () => {
    const noVersion = `kind: EncryptionConfiguration\n${BODY}`;
    assert.equal(decodeError(noVersion), `Object 'apiVersion' is missing in '${noVersion}'`);
    assert.equal(decodeError('# only a comment\n'), `Object 'Kind' is missing in '# only a comment\n'`);
  });
  it('the quoted file never shows key secrets', () => {
    const text =
      'apiVersion: v1\nresources:\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: k, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]}}]\n';
    const message = decodeError(text);
    assert.equal(message, `Object 'Kind' is missing in '${text.replace('c2VjcmV0IGlzIHNlY3VyZQ==', 'REDACTED')}'`);
    const json =
      '{"apiVersion": "v1", "resources": [{"providers": [{"secretbox": {"keys": [{"secret": "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY="}]}}]}]}';
    assert.ok(!decodeError(json).includes('YWJj'));
  });
  it('kind and apiVersion are found case-insensitively, then strict decoding rejects the spelling', () => {
    assert.equal(
      decodeError(`Kind: EncryptionConfiguration\napiVersion: apiserver.config.k8s.io/v1\n${BODY}`),
      'strict decoding error: unknown field "Kind"',
    );
  });
  it('a document that is not an object', () => {
    assert.equal(
      decodeError('- a\n- b\n'),
      `couldn't get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
    );
  });
});

describe('strict decoding', () => {
  it('unknown fields anywhere, with their path', () => {
    assert.equal(
      decodeError(`${HEAD}foo: 1\nresources:\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: a, secret: b, extra: 1}]}}]\n`),
      'strict decoding error: unknown field "foo", unknown field "resources[0].providers[0].aescbc.keys[0].extra"',
    );
  });
  it('1.8-era KMS `configfile` is now an unknown field', () => {
    assert.equal(
      decodeError(`${HEAD}resources:\n- resources: [secrets]\n  providers: [{kms: {name: k, cachesize: 10, configfile: /etc/k.conf}}]\n`),
      'strict decoding error: unknown field "resources[0].providers[0].kms.configfile"',
    );
  });
  it("duplicate keys: go-yaml's complaint for YAML, sigs.k8s.io/json's for JSON", () => {
    assert.equal(
      decodeError(`${HEAD}kind: EncryptionConfiguration\n${BODY}`),
      'strict decoding error: yaml: unmarshal errors:\n  line 3: key "kind" already set in map',
    );
    const json =
      '{"kind":"EncryptionConfiguration","apiVersion":"apiserver.config.k8s.io/v1","kind":"EncryptionConfiguration","resources":[]}';
    assert.equal(decodeError(json), 'strict decoding error: duplicate field "kind"');
  });
  it('type mismatches win over strict errors and name the Go field', () => {
    assert.equal(
      decodeError(`${HEAD}bogus: 1\nresources: secrets\n`),
      'json: cannot unmarshal string into Go struct field EncryptionConfiguration.resources of type []v1.ResourceConfiguration',
    );
    assert.equal(
      decodeError(`${HEAD}resources:\n- resources: [secrets]\n  providers: [{kms: {name: k, cachesize: 1.5}}]\n`),
      'json: cannot unmarshal number 1.5 into Go struct field KMSConfiguration.resources.providers.kms.cachesize of type int32',
    );
  });
  it('YAML 1.1 scalars as go-yaml v2 reads them: `yes` is a bool, quoted "yes" a string', () => {
    const withName = (name: string) =>
      `${HEAD}resources:\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: ${name}, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]}}]\n`;
    assert.equal(
      decodeError(withName('yes')),
      'json: cannot unmarshal bool into Go struct field Key.resources.providers.aescbc.keys.name of type string',
    );
    assert.equal(
      decodeError(withName('0x1F')),
      'json: cannot unmarshal number into Go struct field Key.resources.providers.aescbc.keys.name of type string',
    );
    const keys = parseEncryptionConfig(withName('"yes"')).resources[0]!.providers[0] as { keys: { name: string }[] };
    assert.equal(keys.keys[0]!.name, 'yes');
  });
  it('KMS timeouts are Go duration strings', () => {
    const withTimeout = (t: string) =>
      `${HEAD}resources:\n- resources: [secrets]\n  providers: [{kms: {name: k, endpoint: "unix:///k", timeout: ${t}}}]\n`;
    assert.equal(
      decodeError(withTimeout('5')),
      'json: cannot unmarshal number into Go struct field KMSConfiguration.resources.providers.kms.timeout of type string',
    );
    assert.equal(decodeError(withTimeout('abc')), 'time: invalid duration "abc"');
    assert.equal(decodeError(withTimeout('5 s')), 'time: unknown unit " s" in duration "5 s"');
    const c = parseEncryptionConfig(withTimeout('1m1.5s'));
    assert.equal((c.resources[0]!.providers[0] as { timeoutMs: number }).timeoutMs, 61_500);
  });
  it("JSON input goes through Go's JSON syntax check", () => {
    assert.equal(decodeError('{"kind":'), "couldn't get version/kind; json parse error: unexpected end of JSON input");
    assert.equal(
      decodeError("{'kind': 1}"),
      "couldn't get version/kind; json parse error: invalid character '\\'' looking for beginning of object key string",
    );
  });
  it('JSON and YAML spellings of one config give the same result', () => {
    const path = 'vectors/encryption-configs/pkg/server/options/encryptionconfig/testdata/valid-configs/aes/aes-cbc-multiple-keys.json';
    const json = readFileSync(path, 'utf8');
    const yaml = `${HEAD}resources:\n- resources: [ignored]\n  providers:\n  - aescbc:\n      keys:\n      - {name: A, secret: Owq7A4JrJpSjrvH8kXkvl4JmOLzvZ6j9BcGRkR8OPQ4=}\n      - {name: B, secret: +qcnfOFX3aRXM9PuY7lQXDWYIQ3GWUdBc3nYBo91SCA=}\n`;
    assert.deepEqual(parseEncryptionConfig(json), parseEncryptionConfig(yaml));
  });
});

describe('Go durations', () => {
  it('parse and print like time.ParseDuration / Duration.String', () => {
    const table: [string, string][] = [
      ['0', '0s'],
      ['3s', '3s'],
      ['100ms', '100ms'],
      ['1.5s', '1.5s'],
      ['90m', '1h30m0s'],
      ['1h1m1s1ms', '1h1m1.001s'],
      ['1µs', '1µs'],
      ['1us', '1µs'],
      ['-0.5s', '-500ms'],
      ['+2ns', '2ns'],
      ['.5m', '30s'],
    ];
    for (const [input, printed] of table) {
      const r = parseGoDuration(input);
      assert.ok('ns' in r, input);
      assert.equal(formatGoDuration(r.ns), printed, input);
    }
  });
  it('reject what Go rejects, with its texts', () => {
    assert.deepEqual(parseGoDuration(''), { error: 'time: invalid duration ""' });
    assert.deepEqual(parseGoDuration('1'), { error: 'time: missing unit in duration "1"' });
    assert.deepEqual(parseGoDuration('1x'), { error: 'time: unknown unit "x" in duration "1x"' });
    assert.deepEqual(parseGoDuration('.s'), { error: 'time: invalid duration ".s"' });
    assert.deepEqual(parseGoDuration('9999999999h'), { error: 'time: invalid duration "9999999999h"' });
  });
});

describe('resources', () => {
  it('split at the first dot (docs/FORMATS.md#resources-lookup-and-masking table)', () => {
    const table: [string, string, string][] = [
      ['secrets', '', 'secrets'],
      ['deployments.apps', 'apps', 'deployments'],
      ['*.', '', '*'],
      ['*.apps', 'apps', '*'],
      ['*.*', '*', '*'],
      ['pandas.awesome.bears.example', 'awesome.bears.example', 'pandas'],
    ];
    for (const [s, group, resource] of table) {
      assert.deepEqual(parseGroupResource(s), { group, resource });
      assert.equal(groupResourceString(parseGroupResource(s)), s === '*.' ? '*.' : s);
    }
  });

  it('lookup: exact, then {group,*}, then *.*, else null; repeated exact entries concatenate', () => {
    const yaml =
      `${HEAD}resources:\n` +
      '- resources: [secrets]\n  providers: [identity: {}]\n' +
      '- resources: [deployments.apps, secrets]\n  providers: [{aescbc: {keys: [{name: a, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]}}]\n' +
      '- resources: ["*.apps"]\n  providers: [{secretbox: {keys: [{name: b, secret: YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=}]}}]\n';
    const config = parseEncryptionConfig(yaml);
    const types = (r: string) => providersForResource(config, r)?.map((p) => p.type) ?? null;
    assert.deepEqual(types('secrets'), ['identity', 'aescbc']);
    assert.deepEqual(types('deployments.apps'), ['aescbc']);
    assert.deepEqual(types('statefulsets.apps'), ['secretbox']);
    assert.equal(types('configmaps'), null);
    assert.equal(types('secrets.batch'), null);

    const everything = parseEncryptionConfig(`${HEAD}resources:\n- resources: ["*.*"]\n  providers: [identity: {}]\n`);
    assert.deepEqual(
      providersForResource(everything, 'pandas.awesome.bears.example')?.map((p) => p.type),
      ['identity'],
    );
  });

  it('a hand-built config with a masked rule fails at lookup like the apiserver at start-up', () => {
    const config: EncryptionConfig = {
      kind: 'EncryptionConfiguration',
      apiVersion: 'apiserver.config.k8s.io/v1',
      resources: [
        { resources: ['*.'], providers: [{ type: 'identity' }] },
        { resources: ['configmaps'], providers: [{ type: 'identity' }] },
      ],
    };
    assert.throws(
      () => providersForResource(config, 'secrets'),
      (e: K8sEncError) => e.message === 'error while building transformers: resource "configmaps" is masked by earlier rule "*."',
    );
  });
});

describe('robustness: any input gives a config or a K8sEncError', () => {
  const attempt = (input: string | Uint8Array) => {
    try {
      parseEncryptionConfig(input);
    } catch (e) {
      if (!(e instanceof K8sEncError)) throw e;
    }
  };
  const fixture = readFileSync(
    'vectors/encryption-configs/pkg/server/options/encryptionconfig/testdata/valid-configs/aes-gcm-first.yaml',
    'utf8',
  );

  it('arbitrary strings and bytes', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), attempt), { numRuns: 300 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), attempt), { numRuns: 300 });
  });
  it('mutations of a valid fixture', () => {
    const mutated = fc
      .array(fc.tuple(fc.nat(fixture.length), fc.nat(8), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 4 })
      .map((edits) => edits.reduce((s, [at, cut, insert]) => s.slice(0, at) + insert + s.slice(at + cut), fixture));
    fc.assert(fc.property(mutated, attempt), { numRuns: 300 });
  });
  it('arbitrary JSON shapes under the right kind', () => {
    const config = fc.record({
      kind: fc.constant('EncryptionConfiguration'),
      apiVersion: fc.constant('apiserver.config.k8s.io/v1'),
      resources: fc.jsonValue(),
    });
    fc.assert(
      fc.property(config, (c) => attempt(JSON.stringify(c))),
      { numRuns: 300 },
    );
  });
  it('alias bombs end with an error, not a hang', () => {
    let yaml = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++)
      yaml += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    assert.equal(decodeError(yaml), 'yaml: document contains excessive aliasing');
  });
});
