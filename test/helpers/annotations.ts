// Shared by the annotation unit tests: one Ingress `web` on `a.test` with
// the given annotations, table runners for values that give features and
// values that refuse the Ingress, and a `haproxy -c` check of a model.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { writeDirectoryAtomic, writeFileAtomic } from '../../src/dataplane/haproxy/files.js';
import { renderConfig } from '../../src/dataplane/haproxy/render-config.js';
import { renderFiles } from '../../src/dataplane/haproxy/render-files.js';
import { BackendNames, structureFor } from '../../src/dataplane/haproxy/structure.js';
import type { Features } from '../../src/model/features.js';
import type { Model } from '../../src/model/model.js';
import type { Translation } from '../../src/translate/translate.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import { ingress, serviceWithEndpoints } from './objects.js';
import { translateJson } from './translate.js';

export const A = 'nginx.ingress.kubernetes.io';

/** The Service `app` and the Ingress `web` (a.test, every path) with `annotations`. */
export function translateWith(annotations: Record<string, string>, options: { prefix?: string } = {}): Translation {
  return translateJson(
    [...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] }), ingress({ name: 'web', annotations, rules: [{ host: 'a.test', paths: [{ service: 'app' }] }] })],
    options.prefix ? { annotations: { prefix: options.prefix, allowSnippets: false } } : {},
  );
}

/** The features of `web`'s backend; fails on any error diagnostic. */
export function featuresOf(annotations: Record<string, string>): Features | undefined {
  const { model, diagnostics } = translateWith(annotations);
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return model.backends.find((backend) => backend.service === 'app')?.features;
}

export type ValidRow = [title: string, annotations: Record<string, string>, expected: Features | undefined];
export type RefusedRow = [title: string, annotations: Record<string, string>, message: RegExp];

/** One test per row: the annotations give exactly these features. */
export function validTable(rows: readonly ValidRow[]): void {
  for (const [title, annotations, expected] of rows) test(title, () => assert.deepEqual(featuresOf(annotations), expected));
}

/** One test per row: the annotations refuse `web` with an error naming the annotation. */
export function refusedTable(rows: readonly RefusedRow[]): void {
  for (const [title, annotations, message] of rows) {
    test(`refused: ${title}`, () => {
      const { model, diagnostics, served } = translateWith(annotations);
      const error = diagnostics.find((d) => d.severity === 'error');
      assert.ok(error, 'an error diagnostic');
      assert.equal(error.object.name, 'web');
      assert.match(error.field ?? '', /^metadata\.annotations\["nginx\.ingress\.kubernetes\.io\/[a-z-]+"\]$/);
      assert.match(error.message, message);
      assert.match(error.message, /the Ingress is not served/);
      assert.equal(model.levels.length, 0);
      assert.deepEqual(served, []);
    });
  }
}

const run = promisify(execFile);

let testCertificate: Promise<string> | undefined;

/** `model` with a self-signed default certificate (made once per test process), as Portero serves HTTPS with one. */
export async function withTestCertificate(model: Model): Promise<Model> {
  testCertificate ??= generateSelfSigned('test', ['a.test'], 30).then((generated) => {
    const inspected = inspectKeyPair(generated.cert, generated.key);
    assert.ok(inspected.ok);
    return inspected.info.pem;
  });
  return { ...model, defaultCertificate: { id: 'default', pem: await testCertificate, hosts: [] } };
}

/** Renders `model` as Portero would and has `haproxy -c` check it: valid, and without warnings. Returns the config. */
export async function assertHaproxyAccepts(model: Model): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'portero-check-'));
  try {
    const genDir = join(directory, 'gen-1');
    const names = new BackendNames(structureFor(model));
    await writeDirectoryAtomic(genDir, renderFiles(model, genDir, names));
    const configPath = join(directory, 'haproxy.cfg');
    const config = renderConfig(model, { stateDir: directory, adminSocket: join(directory, 'admin.sock'), bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, hardStopAfter: '5m', maxReloads: 8 }, genDir, names);
    await writeFileAtomic(configPath, config);
    const { stdout, stderr } = await run('haproxy', ['-c', '-f', configPath]);
    assert.match(stdout + stderr, /Configuration file is valid/);
    assert.doesNotMatch(stdout + stderr, /WARNING/);
    return config;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
