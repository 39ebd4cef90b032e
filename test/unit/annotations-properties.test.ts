// Property-based tests (fast-check) for every annotation in SUPPORT: whatever
// strings the annotations hold, translate never throws, renderConfig and
// renderFiles never throw (every value passed config-lines' grammars), and
// every rendered line is made of safe tokens. Each annotation is tried alone
// (with the companion that makes it count) and in random combinations.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import { renderConfig } from '../../src/dataplane/haproxy/render-config.js';
import { renderFiles } from '../../src/dataplane/haproxy/render-files.js';
import { BackendNames, structureFor } from '../../src/dataplane/haproxy/structure.js';
import { decodeObject } from '../../src/objects/decode.js';
import { SUPPORT } from '../../src/translate/annotations/index.js';
import { translate } from '../../src/translate/translate.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { ingress, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { BASE_OPTIONS, snapshotOf } from '../helpers/translate.js';

const A = 'nginx.ingress.kubernetes.io';
const NAMES = Object.keys(SUPPORT);

/** Valid annotations that make another one count. */
const COMPANIONS: Readonly<Record<string, string>> = {
  'enable-cors': 'true',
  affinity: 'cookie',
  canary: 'true',
  'backend-protocol': 'HTTPS',
  'upstream-hash-by': '$remote_addr',
  'limit-rps': '10',
  'permanent-redirect': 'https://example.com/',
  'use-regex': 'true',
  'auth-tls-secret': 'client-ca',
  // satisfy: any decides between two kinds of access checks; the redirect rewrite needs both halves.
  satisfy: 'any',
  'allowlist-source-range': '10.0.0.0/8',
  'auth-url': 'http://10.0.0.9/auth',
  'proxy-redirect-from': 'http://svc/',
  'proxy-redirect-to': 'https://app.example/',
  // mirror-host and mirror-request-body act on a mirror: an IP literal, so that its rule is rendered.
  'mirror-target': 'http://10.0.0.7/mirror$request_uri',
};

/** A CA certificate for the Secret auth-tls-secret names (made once). */
let caPem = '';
before(async () => {
  caPem = (await generateSelfSigned('property CA', ['ca.test'], 30)).cert;
});

const hostile = fc.constantFrom(
  'a\nbind :1',
  "'",
  '"',
  '%[src]',
  '${HOME}',
  '\\',
  '#',
  ';',
  ' a b ',
  '\u0000\u0001\u007f',
  '\u00e9\u202e\u{1f600}',
  'x'.repeat(100 * 1024),
  '$1 $2',
  '/$1',
  'true',
  '10',
  '1k',
  'cookie',
  'https://a.test/%[src]',
  '127.0.0.1/8, 10.0.0.0/8',
  'GET, POST',
  'more_set_headers "X: %[src]";',
  'add_header X-A "b\nbind :1";',
  'return 200 "%[src]";',
  'deny all;',
  // mirror-target and mirror-host (CVE-2025-1098 injected through them).
  'http://10.0.0.7/$host',
  "http://10.0.0.7/m$request_uri';",
  'http://10.0.0.7/m;\nmirror /x',
  'http://10.0.0.7:99999/m',
  'a.test:80\r\nX: y',
);
const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'grapheme-ascii', maxLength: 60 }), hostile);

const settings = { stateDir: '/s', adminSocket: '/s/admin.sock', bindAddress: '127.0.0.1', httpPort: 80, httpsPort: 443, hardStopAfter: '5m', maxReloads: 8 };

function objectsWith(annotations: Record<string, string>): Json[] {
  return [
    ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '10.0.0.1', port: 8080 }] }),
    { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'client-ca', namespace: 'default' }, stringData: { 'ca.crt': caPem } },
    ingress({ name: 'main', rules: [{ host: 'a.test', paths: [{ path: '/', service: 'app' }] }] }),
    ingress({ name: 'annotated', annotations, tls: [{ hosts: ['a.test'], secretName: 'missing' }], rules: [{ host: 'a.test', paths: [{ path: '/p(.*)', pathType: 'ImplementationSpecific', service: 'app' }] }] }),
    ingress({ name: 'other', annotations, rules: [{ host: 'b.test', paths: [{ path: '/', service: 'app' }] }] }),
  ];
}

/** translate, renderConfig and renderFiles on the objects: none throws, every line is made of safe tokens. */
function renderAll(annotations: Record<string, string>, allowSnippets: boolean): void {
  const objects = objectsWith(annotations).flatMap((raw) => {
    const result = decodeObject(raw, { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' });
    return result.status === 'ok' ? [result.object] : [];
  });
  const { model } = translate(snapshotOf(objects), { ...BASE_OPTIONS, annotations: { prefix: A, allowSnippets } });
  const config = renderConfig(model, settings, '/s/gen-1', new BackendNames(structureFor(model)));
  for (const line of config.split('\n')) assert.match(line, /^[\x20-\x7e]*$/, `config line ${JSON.stringify(line)}`);
  for (const file of renderFiles(model, '/s/gen-1')) {
    for (const line of file.content.split('\n').filter(Boolean)) {
      // OpenSSL's verification texts (fixed, from Portero's source) are the only map values with spaces.
      if (file.path === 'verify-errors.map') assert.match(line, /^[0-9]+ [\x21-\x7e][\x20-\x7e]*$/, `${file.path}: ${JSON.stringify(line)}`);
      // CORS lists as ingress-nginx writes them (`GET, POST`): single spaces, escaped on the runtime API (runtime.ts cliValue).
      else if (file.path === 'settings.map') assert.match(line, /^[\x21-\x7e]+ [\x21-\x7e]+( [\x21-\x7e]+)*$/, `${file.path}: ${JSON.stringify(line)}`);
      else if (file.path.endsWith('.map')) assert.match(line, /^[\x21-\x7e]+ [\x21-\x7e]+$/, `${file.path}: ${JSON.stringify(line)}`);
      else if (file.path.endsWith('.lst')) assert.match(line, /^\^[0-9a-f]+\[\|\]\.\*\(\?:[\x20-\x7e]+\)$/, `${file.path}: ${JSON.stringify(line)}`);
      else if (file.path.endsWith('.txt')) assert.match(line, /^[\x21-\x7e]+( [\x21-\x7e]+)*$/, `${file.path}: ${JSON.stringify(line)}`);
    }
  }
}

describe('any value in any annotation renders safely or is refused', () => {
  test('each annotation alone, with its companions', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NAMES), value, fc.boolean(), (name, v, allowSnippets) => {
        const annotations: Record<string, string> = {};
        for (const [companion, companionValue] of Object.entries(COMPANIONS)) if (companion !== name) annotations[`${A}/${companion}`] = companionValue;
        annotations[`${A}/${name}`] = v;
        renderAll(annotations, allowSnippets);
      }),
      { numRuns: 3000 },
    );
  });

  test('every annotation with every hostile value', () => {
    for (const name of NAMES) {
      fc.assert(
        fc.property(hostile, fc.boolean(), (v, allowSnippets) => renderAll({ [`${A}/${name}`]: v }, allowSnippets)),
        { numRuns: 30 },
      );
    }
  });

  test('random combinations of annotations', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...NAMES), value, { maxKeys: 12 }), fc.boolean(), (chosen, allowSnippets) => {
        const annotations = Object.fromEntries(Object.entries(chosen).map(([name, v]) => [`${A}/${name}`, v]));
        renderAll(annotations, allowSnippets);
      }),
      { numRuns: 1000 },
    );
  });
});

// A diagnostic names the value, shortened: a 100 KB value (or list item)
// must not be copied whole into every log line, Event and status message.
describe('diagnostics stay short whatever the value', () => {
  const long = 'x'.repeat(100 * 1024);
  const values = [long, `10.0.0.1, ${long}`, `GET, ${long}`, `${long}, error`, ` ${long} `];
  for (const name of NAMES) {
    test(name, () => {
      for (const v of values) {
        const annotations: Record<string, string> = {};
        for (const [companion, companionValue] of Object.entries(COMPANIONS)) if (companion !== name) annotations[`${A}/${companion}`] = companionValue;
        annotations[`${A}/${name}`] = v;
        const objects = objectsWith(annotations).flatMap((raw) => {
          const result = decodeObject(raw, { defaultNamespace: 'default', creationTimestampFor: () => '2026-01-01T00:00:00Z' });
          return result.status === 'ok' ? [result.object] : [];
        });
        const { diagnostics } = translate(snapshotOf(objects), { ...BASE_OPTIONS, annotations: { prefix: A, allowSnippets: true } });
        for (const diagnostic of diagnostics) assert.ok(diagnostic.message.length <= 1024, `${diagnostic.field}: a message of ${diagnostic.message.length} characters: ${diagnostic.message.slice(0, 200)}…`);
      }
    });
  }
});
