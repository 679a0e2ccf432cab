/**
 * Each check of the apiserver's EncryptionConfiguration validation (docs/FORMATS.md#validation, upstream
 * validation_encryption.go) on a small inline config, asserting the full message text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import { K8sEncError } from '../src/errors.ts';

const HEAD = 'kind: EncryptionConfiguration\napiVersion: apiserver.config.k8s.io/v1\n';
const K16 = 'c2VjcmV0IGlzIHNlY3VyZQ=='; // 16 bytes
const K32 = 'YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY='; // 32 bytes

/** One entry: `resources` and `providers` as YAML flow text. */
const entry = (resources: string, providers: string) => `${HEAD}resources:\n- resources: ${resources}\n  providers: ${providers}\n`;
const kms = (fields: string) => entry('[secrets]', `[{kms: {${fields}}}]`);

function failure(yaml: string): string {
  try {
    parseEncryptionConfig(yaml);
  } catch (e) {
    assert.ok(e instanceof K8sEncError);
    assert.equal(e.code, 'ERR_CONFIG_INVALID', e.message);
    return e.message;
  }
  assert.fail('the config was accepted');
}

const fails = (yaml: string, ...errors: string[]) =>
  assert.equal(failure(yaml), `error while parsing file: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}`);

describe('resource lists', () => {
  it('no entries', () => fails(`${HEAD}resources: []\n`, 'resources: Required value: at least one resources is required'));
  it('no resources key at all', () => fails(HEAD, 'resources: Required value: at least one resources is required'));
  it('an entry without resources', () =>
    fails(
      `${HEAD}resources:\n- providers: [identity: {}]\n`,
      'resources[0].resources: Required value: at least one resources[0].resources is required',
    ));
  it('duplicates', () =>
    fails(
      entry('[secrets, configmaps, secrets]', '[identity: {}]'),
      'resources[0].resources: Invalid value: ["secrets","configmaps","secrets"]: the same resource cannot be specified multiple times',
    ));
  const overlap = "using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked";
  it('a resource and its group wildcard', () =>
    fails(entry('[secrets, "*."]', '[identity: {}]'), `resources[0].resources: Invalid value: ["secrets","*."]: ${overlap}`));
  it('*.* with anything', () =>
    fails(
      entry('["*.*", deployments.apps]', '[identity: {}]'),
      `resources[0].resources: Invalid value: ["*.*","deployments.apps"]: ${overlap}`,
    ));
  it('a repeated wildcard is both a duplicate and an overlap', () =>
    fails(
      entry('["*.apps", "*.apps"]', '[identity: {}]'),
      'resources[0].resources: Invalid value: ["*.apps","*.apps"]: the same resource cannot be specified multiple times',
      `resources[0].resources: Invalid value: ["*.apps","*.apps"]: ${overlap}`,
    ));
  it('different groups do not overlap', () => assert.ok(parseEncryptionConfig(entry('["*.apps", "*.", secrets.batch]', '[identity: {}]'))));
  it('each name stops at its first failing rule (after the list-wide overlap check)', () =>
    fails(
      entry(
        '[Secrets, "*", apiserveripinfo, serviceipallocations, servicenodeportallocations, "*.events.k8s.io", deployments.extensions, "secrets.*", "EVENTS.events.k8s.io"]',
        '[identity: {}]',
      ),
      `resources[0].resources: Invalid value: ["Secrets","*","apiserveripinfo","serviceipallocations","servicenodeportallocations","*.events.k8s.io","deployments.extensions","secrets.*","EVENTS.events.k8s.io"]: ${overlap}`,
      'resources[0].resources[0]: Invalid value: "Secrets": resource name should not contain capital letters',
      `resources[0].resources[1]: Invalid value: "*": use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources`,
      'resources[0].resources[2]: Invalid value: "apiserveripinfo": resources which do not have REST API/s cannot be encrypted',
      'resources[0].resources[3]: Invalid value: "serviceipallocations": resources which do not have REST API/s cannot be encrypted',
      'resources[0].resources[4]: Invalid value: "servicenodeportallocations": resources which do not have REST API/s cannot be encrypted',
      `resources[0].resources[5]: Invalid value: "*.events.k8s.io": '*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file`,
      `resources[0].resources[6]: Invalid value: "deployments.extensions": 'extensions' group has been removed and cannot be used for encryption`,
      'resources[0].resources[7]: Invalid value: "secrets.*": encrypting the same resource across groups is not supported',
      'resources[0].resources[8]: Invalid value: "EVENTS.events.k8s.io": resource name should not contain capital letters',
    ));
});

describe('providers', () => {
  const none = 'provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity';
  const empty = '{"AESGCM":null,"AESCBC":null,"Secretbox":null,"Identity":null,"KMS":null}';
  it('no providers', () =>
    fails(entry('[secrets]', '[]'), 'resources[0].providers: Required value: at least one resources[0].providers is required'));
  it('an element with no type', () => fails(entry('[secrets]', '[{}]'), `resources[0].providers[0]: Invalid value: ${empty}: ${none}`));
  it('a null identity counts as none', () =>
    fails(entry('[secrets]', '[identity: null]'), `resources[0].providers[0]: Invalid value: ${empty}: ${none}`));
  it('two types in one element (secrets never printed)', () =>
    fails(
      entry('[secrets]', `[{identity: {}, aescbc: {keys: [{name: k, secret: ${K16}}]}}]`),
      'resources[0].providers[0]: Invalid value: {"AESGCM":null,"AESCBC":{"Keys":[{"Name":"k","Secret":"REDACTED"}]},"Secretbox":null,"Identity":{},"KMS":null}: more than one provider specified in a single element, should split into different list elements',
    ));
  it('two types including KMS: the KMS part is still validated', () =>
    fails(
      entry('[secrets]', '[{identity: {}, kms: {name: k, endpoint: "unix:///k", timeout: 2s}}]'),
      'resources[0].providers[0]: Invalid value: {"AESGCM":null,"AESCBC":null,"Secretbox":null,"Identity":{},"KMS":{"APIVersion":"v1","Name":"k","CacheSize":1000,"Endpoint":"unix:///k","Timeout":"2s"}}: more than one provider specified in a single element, should split into different list elements',
    ));
});

describe('keys', () => {
  it('no keys', () =>
    fails(
      entry('[secrets]', '[{aescbc: {keys: []}}]'),
      'resources[0].providers[0].aescbc.keys: Required value: at least one keys is required',
    ));
  it('name and secret missing', () =>
    fails(
      entry('[secrets]', '[{secretbox: {keys: [{}]}}]'),
      'resources[0].providers[0].secretbox.keys[0].name: Required value: name is a mandatory field for a key',
      'resources[0].providers[0].secretbox.keys[0].secret: Required value: secret is a mandatory field for a key',
    ));
  it('not base64 (Go StdEncoding: no missing padding, no URL alphabet, no spaces)', () => {
    for (const bad of ['c2VjcmV0IGlzIHNlY3VyZQ', 'c2VjcmV0IGlzIHNlY3VyZQ-_', '"c2VjcmV0IGlz IHNlY3VyZQ=="', 'c2VjcmV0IGlzIHNlY3VyZQ=']) {
      fails(
        entry('[secrets]', `[{aesgcm: {keys: [{name: k, secret: ${bad}}]}}]`),
        'resources[0].providers[0].aesgcm.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded',
      );
    }
  });
  it('Go base64 accepts CR/LF anywhere and non-zero trailing bits', () => {
    const canonical = parseEncryptionConfig(entry('[secrets]', `[{aesgcm: {keys: [{name: k, secret: ${K16}}]}}]`));
    for (const variant of ['"c2VjcmV0IGlz\\r\\nIHNlY3VyZQ==\\n"', 'c2VjcmV0IGlzIHNlY3VyZR==']) {
      const c = parseEncryptionConfig(entry('[secrets]', `[{aesgcm: {keys: [{name: k, secret: ${variant}}]}}]`));
      assert.deepEqual(c.resources[0]!.providers, canonical.resources[0]!.providers);
    }
  });
  it('wrong lengths', () =>
    fails(
      entry('[secrets]', `[{aescbc: {keys: [{name: a, secret: "YWJj"}]}}, {secretbox: {keys: [{name: b, secret: ${K16}}]}}]`),
      'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 3, expected one of [16 24 32]',
      'resources[0].providers[1].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of [32]',
    ));
  it('16/24/32-byte AES keys, 32-byte secretbox keys, duplicate names and names with ":" are fine', () => {
    const k24 = Buffer.alloc(24, 7).toString('base64');
    const c = parseEncryptionConfig(
      entry(
        '[secrets]',
        `[{aescbc: {keys: [{name: a, secret: ${K16}}, {name: "a:b", secret: ${k24}}, {name: a, secret: ${K32}}]}}, {secretbox: {keys: [{name: a, secret: ${K32}}]}}]`,
      ),
    );
    assert.equal(c.resources[0]!.providers.length, 2);
  });
});

describe('kms', () => {
  const at = 'resources[0].providers[0].kms';
  it('name missing', () => fails(kms('endpoint: "unix:///k"'), `${at}.name: Required value: name is a mandatory field for a provider`));
  it('":" in a v2 name (v1 names may have one)', () => {
    fails(
      kms('apiVersion: v2, name: "a:b", endpoint: "unix:///k"'),
      `${at}.name: Invalid value: "a:b": invalid KMS provider name a:b, must not contain ':'`,
    );
    assert.ok(parseEncryptionConfig(kms('name: "a:b", endpoint: "unix:///k"')));
  });
  it('duplicate names: v2 always, v1 never (without automatic reload)', () => {
    const two = (v1: string, v2: string) =>
      entry(
        '[secrets]',
        `[{kms: {apiVersion: ${v1}, name: k, endpoint: "unix:///k"}}, {kms: {apiVersion: ${v2}, name: k, endpoint: "unix:///k"}}]`,
      );
    assert.ok(parseEncryptionConfig(two('v1', 'v1')));
    assert.ok(parseEncryptionConfig(two('v2', 'v1')));
    fails(two('v1', 'v2'), 'resources[0].providers[1].kms.name: Invalid value: "k": duplicate KMS provider name k, names must be unique');
  });
  it('non-positive timeouts', () => {
    fails(kms('name: k, endpoint: "unix:///k", timeout: 0s'), `${at}.timeout: Invalid value: "0s": timeout should be a positive value`);
    fails(
      kms('name: k, endpoint: "unix:///k", timeout: -90s'),
      `${at}.timeout: Invalid value: "-1m30s": timeout should be a positive value`,
    );
  });
  it('endpoints', () => {
    fails(kms('name: k'), `${at}.endpoint: Invalid value: "": endpoint is a mandatory field for a kms`);
    fails(
      kms('name: k, endpoint: "unix:///%zz"'),
      `${at}.endpoint: Invalid value: "unix:///%zz": invalid endpoint for kms provider, error: parse "unix:///%zz": invalid URL escape "%zz"`,
    );
    fails(
      kms('name: k, endpoint: "tcp://localhost:80"'),
      `${at}.endpoint: Invalid value: "tcp://localhost:80": unsupported scheme "tcp" for KMS provider, only unix is supported`,
    );
    fails(
      kms('name: k, endpoint: /run/k.sock'),
      `${at}.endpoint: Invalid value: "/run/k.sock": unsupported scheme "" for KMS provider, only unix is supported`,
    );
    assert.ok(parseEncryptionConfig(kms('name: k, endpoint: "UNIX:///@abstract"')));
  });
  it('cachesize', () => {
    fails(
      kms('apiVersion: v2, name: k, endpoint: "unix:///k", cachesize: 10'),
      `${at}.cachesize: Invalid value: 10: cachesize is not supported in v2`,
    );
    fails(
      kms('name: k, endpoint: "unix:///k", cachesize: 0'),
      `${at}.cachesize: Invalid value: 0: cachesize should be a positive value, or negative to disable`,
    );
    const c = parseEncryptionConfig(kms('name: k, endpoint: "unix:///k", cachesize: -1'));
    assert.equal((c.resources[0]!.providers[0] as { cachesize?: number }).cachesize, -1);
  });
  it("apiVersion (the doubled word is upstream's)", () =>
    fails(
      kms('apiVersion: v3, name: k, endpoint: "unix:///k", cachesize: 5'),
      `${at}.cachesize: Invalid value: 5: cachesize is not supported in v2`,
      `${at}.apiVersion: Invalid value: "v3": unsupported apiVersion apiVersion for KMS provider, only v1 and v2 are supported`,
    ));
  it("all of a provider's checks run, in upstream order", () =>
    fails(
      kms('apiVersion: v2, name: "a:b", timeout: 0s, endpoint: "http://x", cachesize: 3'),
      `${at}.name: Invalid value: "a:b": invalid KMS provider name a:b, must not contain ':'`,
      `${at}.timeout: Invalid value: "0s": timeout should be a positive value`,
      `${at}.endpoint: Invalid value: "http://x": unsupported scheme "http" for KMS provider, only unix is supported`,
      `${at}.cachesize: Invalid value: 3: cachesize is not supported in v2`,
    ));
});

describe('building', () => {
  const build = (entries: [string, string][]) =>
    `${HEAD}resources:\n${entries.map(([r, p]) => `- resources: ${r}\n  providers: ${p}\n`).join('')}`;
  const masked = (yaml: string, message: string) =>
    assert.throws(
      () => parseEncryptionConfig(yaml),
      (e: K8sEncError) => e.code === 'ERR_CONFIG_INVALID' && e.message === message,
    );
  it('a resource under an earlier wildcard is masked', () => {
    masked(
      build([
        ['["*."]', '[identity: {}]'],
        ['[secrets]', '[identity: {}]'],
      ]),
      'error while building transformers: resource "secrets" is masked by earlier rule "*."',
    );
    masked(
      build([
        ['["*.apps"]', '[identity: {}]'],
        ['[deployments.apps]', '[identity: {}]'],
      ]),
      'error while building transformers: resource "deployments.apps" is masked by earlier rule "*.apps"',
    );
    masked(
      build([
        ['["*.*"]', '[identity: {}]'],
        ['["*.*"]', '[identity: {}]'],
      ]),
      'error while building transformers: resource "*.*" is masked by earlier rule "*.*"',
    );
    masked(
      build([
        ['["*.*"]', '[identity: {}]'],
        ['[pandas.awesome.bears.example]', '[identity: {}]'],
      ]),
      'error while building transformers: resource "pandas.awesome.bears.example" is masked by earlier rule "*.*"',
    );
  });
  it('wildcards after exact rules are fine, and exact repeats concatenate', () => {
    assert.ok(
      parseEncryptionConfig(
        build([
          ['[secrets]', '[identity: {}]'],
          ['["*."]', '[identity: {}]'],
          ['["*.*"]', '[identity: {}]'],
        ]),
      ),
    );
    assert.ok(
      parseEncryptionConfig(
        build([
          ['[secrets]', '[identity: {}]'],
          ['[secrets]', '[identity: {}]'],
        ]),
      ),
    );
  });
});
