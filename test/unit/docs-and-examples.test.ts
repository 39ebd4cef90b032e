// What users touch stays true: every flag is documented, and the examples
// are valid objects that translate without errors.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildCommand } from '../../src/cli/flags.js';
import { decodeObject } from '../../src/objects/decode.js';
import type { KubeObject } from '../../src/objects/types.js';
import { parseManifest } from '../../src/source/manifests/parse.js';
import { SUPPORT } from '../../src/translate/annotations/index.js';
import { translate } from '../../src/translate/translate.js';
import { BASE_OPTIONS, snapshotOf } from '../helpers/translate.js';
import { ROOT } from '../helpers/portero.js';

describe('documentation', () => {
  test('docs/configuration.md describes every flag of --help', () => {
    const documented = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
    for (const option of buildCommand().options) {
      if (option.long === '--help') continue;
      assert.ok(documented.includes(`\`${option.long}`), `docs/configuration.md does not describe ${option.long}`);
    }
  });

  test('docs/annotations.md describes every annotation Portero reads', () => {
    const documented = readFileSync(join(ROOT, 'docs', 'annotations.md'), 'utf8');
    for (const name of Object.keys(SUPPORT)) assert.ok(documented.includes(`\`${name}\``), `docs/annotations.md does not describe ${name}`);
  });

  test('every log message docs/operations.md explains is one Portero writes', () => {
    const operations = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    const table = operations.split('## Warnings and errors in the log')[1]?.split('\n## ')[0] ?? '';
    const messages = [...table.matchAll(/^\| (.+?) \|/gm)].flatMap((row) => [...row[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    assert.ok(messages.length >= 10, `only ${messages.length} messages found in the table`);
    const sources = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => readFileSync(join(ROOT, 'src', file), 'utf8'))
      .join('\n');
    for (const message of messages) assert.ok(sources.includes(message), `docs/operations.md explains "${message}", which src/ never logs`);
  });
});

describe('examples/', () => {
  const directory = join(ROOT, 'examples');
  const objects: KubeObject[] = [];
  for (const name of readdirSync(directory).filter((file) => /\.ya?ml$/.test(file))) {
    test(`${name} holds valid objects`, () => {
      const parsed = parseManifest(name, readFileSync(join(directory, name), 'utf8'));
      assert.ok(parsed.ok);
      for (const document of parsed.documents) {
        const result = decodeObject(document.value, { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' });
        assert.equal(result.status, 'ok', JSON.stringify(result));
        if (result.status === 'ok') objects.push(result.object);
      }
    });
  }
  test('translate serves every example Ingress; only the generated Secret is missing', () => {
    const { served, diagnostics } = translate(snapshotOf(objects), BASE_OPTIONS);
    assert.deepEqual(served.map((ref) => ref.name).sort(), ['example-com', 'legacy-example-com', 'secure-example-com']);
    assert.deepEqual(diagnostics.map((d) => d.field), ['spec.tls[0].secretName']);
  });
  test('the example HTTPRoute is accepted on the example Gateway', () => {
    const { gateway } = translate(snapshotOf(objects), BASE_OPTIONS);
    const route = gateway?.routes.find((result) => result.route.metadata.name === 'gateway-example-com');
    assert.equal(route?.accepted, true);
    assert.deepEqual(route?.status.parents[0]?.conditions.map((c) => `${c.type}=${c.status}`), ['Accepted=True', 'ResolvedRefs=True']);
  });
});

describe('version', () => {
  test('src/cli/version.ts matches package.json', async () => {
    const { VERSION } = await import('../../src/cli/version.js');
    assert.equal(VERSION, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });
});
