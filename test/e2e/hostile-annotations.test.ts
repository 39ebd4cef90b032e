// Hostile values in every annotation Portero reads (SUPPORT): newlines with
// HAProxy directives, quotes, backslashes, sample expressions, shell
// variables, `#`, `;`, NUL and control bytes, unicode, spaces and a 100 KB
// value, each on an Ingress of its own, written while Portero runs (so that
// what can go through the runtime API does). Annotations that only act with
// another one (cors-* with enable-cors, session-cookie-* with affinity, the
// canary-* with canary, ...) get that companion with a valid value, so that
// their hostile value is really read.
//
// Checked: no hostile value reaches a file HAProxy reads (the state
// directory) or HAProxy's live state through the runtime API (every map,
// servers, crt-list); HAProxy keeps running and well-behaved Ingresses keep
// serving; and each hostile Ingress is either
//   - refused: not served (404), with an error naming the Ingress and the
//     annotation's field, or
//   - failed closed (access control, as ingress-nginx): its paths answer
//     503, with a diagnostic naming the annotation, or
//   - served with the value treated as data: EXPECTED_SERVED lists these.
//     A canary header value is any string to compare with, as in
//     ingress-nginx: `%[src]`, `${HOME}` and `#` reach the configuration
//     only inside a single-quoted ACL pattern (no sample expression, no
//     variable expansion, no comment there), and a request sending that
//     exact text reaches the canary. And a value with surrounding spaces is
//     trimmed (as ingress-nginx trims), so the trimmed text, when valid, is
//     served: that case uses a harmless word instead of the marker. Two
//     words separated by a space are a valid proxy-cookie-domain pair of
//     domain names, rendered only inside a single-quoted replace-header
//     expression (escaped) and replacement.
// Anything else is refused.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SUPPORT } from '../../src/translate/annotations/index.js';
import { notImplemented } from '../../src/translate/annotations/not-implemented.js';
import { NOT_READ } from '../../src/translate/annotations/not-applied.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { filesUnder } from '../helpers/files.js';
import { HOSTILE_VALUES, liveState, MARK, unquotedMarks } from '../helpers/hostile.js';
import { request, whoAnswers } from '../helpers/http.js';
import { appOn, ingress, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';
/** Valid annotations that make another one count (otherwise its value might never be read). */
function companions(name: string): Record<string, string> {
  if (name.startsWith('cors-')) return { 'enable-cors': 'true' };
  if (name.startsWith('session-cookie-') || name === 'affinity-mode') return { affinity: 'cookie' };
  if (name === 'canary-by-header-value' || name === 'canary-by-header-pattern') return { canary: 'true', 'canary-by-header': CANARY_HEADER };
  if (name.startsWith('canary-')) return { canary: 'true' };
  if (name.startsWith('proxy-ssl-')) return { 'backend-protocol': 'HTTPS' };
  if (name.startsWith('upstream-hash-by-')) return { 'upstream-hash-by': '$remote_addr' };
  if (name.startsWith('proxy-next-upstream-')) return { 'proxy-next-upstream': 'error timeout' };
  if (name === 'limit-burst-multiplier' || name === 'limit-whitelist') return { 'limit-rps': '100' };
  if (name === 'permanent-redirect-code') return { 'permanent-redirect': 'https://example.com/' };
  if (name === 'temporal-redirect-code') return { 'temporal-redirect': 'https://example.com/' };
  // The other auth-tls-* mean nothing without a CA Secret (ingress-nginx reads them only with one).
  if (name.startsWith('auth-tls-') && name !== 'auth-tls-secret') return { 'auth-tls-secret': HOSTILE_CA_SECRET };
  if (name.startsWith('auth-') && !name.startsWith('auth-tls-') && !['auth-url', 'auth-type', 'auth-secret', 'auth-secret-type', 'auth-realm', 'auth-snippet'].includes(name)) return { 'auth-url': 'http://10.0.0.1/auth' };
  if (name === 'auth-secret' || name === 'auth-secret-type' || name === 'auth-realm') return { 'auth-type': 'basic', ...(name === 'auth-secret' ? {} : { 'auth-secret': 'basic-users' }) };
  if (name === 'custom-http-errors') return { 'default-backend': 'app' };
  // The two halves of proxy_redirect; satisfy with the two kinds of checks it chooses between.
  if (name === 'proxy-redirect-from') return { 'proxy-redirect-to': 'https://app.example/' };
  if (name === 'proxy-redirect-to') return { 'proxy-redirect-from': 'http://svc/' };
  if (name === 'satisfy') return { 'allowlist-source-range': '127.0.0.1', 'auth-url': 'http://10.0.0.1/auth' };
  if (name === 'mirror-host' || name === 'mirror-request-body') return { 'mirror-target': 'http://10.0.0.1/mirror' };
  return {};
}

/** `annotation / kind` pairs served with the value treated as data (see the header); every other pair is refused. */
const EXPECTED_SERVED = new Set([
  // The realm and X-Auth-Request-Redirect are text: rendered quoted, % doubled, or passed to Lua as a checked argument.
  ...['sample expression', 'shell variable', 'hash', 'semicolon', 'spaces'].map((kind) => `auth-realm / ${kind}`),
  'auth-request-redirect / sample expression',
  // `#` starts an nginx comment: the snippet is empty.
  'configuration-snippet / hash',
  'server-snippet / hash',
  // Ignored and never read beyond their presence: nothing of them reaches HAProxy.
  ...['auth-cache-key', 'auth-cache-duration', ...Object.keys(notImplemented.annotations), ...NOT_READ].flatMap((name) => Object.keys(HOSTILE_VALUES).filter((kind) => kind !== 'leading and trailing spaces').map((kind) => `${name} / ${kind}`)),
  // Two words are a valid "<from> <to>" pair of domain names: literal text of a replace-header rule, single-quoted.
  'proxy-cookie-domain / spaces',
  'canary-by-header-value / sample expression',
  'canary-by-header-value / shell variable',
  'canary-by-header-value / hash',
  'canary-by-header-pattern / sample expression',
  // mirror-*: an invalid value leaves the copy out (mirror-host: the target's host is the copy's Host; mirror-request-body: read as on), with a warning naming it, as ingress-nginx serves the Ingress without it.
  ...['mirror-target', 'mirror-host', 'mirror-request-body'].flatMap((name) => Object.keys(HOSTILE_VALUES).map((kind) => `${name} / ${kind}`)),
]);
/** Trimmed to a valid value: served or refused, either is right. */
const TRIMMED = 'leading and trailing spaces';
const CANARY_HEADER = 'X-Hostile-Canary';
const HOSTILE_CA_SECRET = 'hostile-ca';

interface Case {
  name: string;
  annotation: string;
  kind: string;
  host: string;
  canary: boolean;
}

const CASES: Case[] = Object.keys(SUPPORT).flatMap((annotation, i) =>
  Object.keys(HOSTILE_VALUES).map((kind, j) => {
    const canary = annotation === 'canary' || annotation.startsWith('canary-');
    return { name: `a${i}-v${j}`, annotation, kind, host: `a${i}-v${j}.hostile-ann.test`, canary };
  }),
);

/** The hostile Ingress; a canary comes with the main Ingress of its host (served by `app`; the canary by `canary`). */
function caseObjects(c: Case): Json[] {
  const annotations: Record<string, string> = {};
  for (const [name, value] of Object.entries(companions(c.annotation))) annotations[`${A}/${name}`] = value;
  annotations[`${A}/${c.annotation}`] = HOSTILE_VALUES[c.kind]!;
  const hostile = ingress({ name: c.name, annotations, rules: [{ host: c.host, paths: [{ service: c.canary ? 'canary' : 'app' }] }] });
  return c.canary ? [ingress({ name: `${c.name}-main`, rules: [{ host: c.host, paths: [{ service: 'app' }] }] }), hostile] : [hostile];
}

describe('hostile values in every annotation', { timeout: 600_000 }, () => {
  let portero: Portero;
  let app: Backend;
  let canaryApp: Backend;
  const outcomes = new Map<string, 'refused' | 'failed closed' | 'served'>();

  before(async () => {
    app = await startBackend('app');
    canaryApp = await startBackend('canary');
    portero = await startPortero({
      // Snippets are parsed (not refused outright), so that their parser sees the hostile values too.
      flags: ['--allow-snippet-annotations'],
      files: {
        'good.yaml': appOn('good.hostile-ann.test', [app], 'good'),
        'canary.yaml': serviceWithEndpoints({ name: 'canary', endpoints: [canaryApp] }),
        // The CA bundle the auth-tls-* cases name (valid: their own hostile value is what is judged).
        'client-ca.yaml': [{ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: HOSTILE_CA_SECRET }, stringData: { 'ca.crt': (await generateSelfSigned('hostile CA', ['ca.test'], 30)).cert } }],
        // A well-behaved Ingress with the realistic mix: it must keep serving next to the hostile ones.
        'good-annotated.yaml': [
          ingress({
            name: 'good-annotated',
            annotations: { [`${A}/enable-cors`]: 'true', [`${A}/proxy-read-timeout`]: '30', [`${A}/allowlist-source-range`]: '127.0.0.0/8', [`${A}/proxy-body-size`]: '1m' },
            rules: [{ host: 'good-annotated.hostile-ann.test', paths: [{ service: 'app' }] }],
          }),
        ],
      },
    });
    // One Ingress per file, so that each is judged on its own; written while Portero runs.
    for (const c of CASES) await portero.write(`${c.name}.yaml`, caseObjects(c));
    await portero.write('marker.yaml', [ingress({ name: 'marker', rules: [{ host: 'marker.hostile-ann.test', paths: [{ service: 'app' }] }] })]);
    await eventually(async () => assert.equal(await whoAnswers(portero.httpPort, 'marker.hostile-ann.test', '/'), 'app'), 60_000);
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await canaryApp?.close();
  });

  test('no hostile value reaches any file HAProxy reads', async () => {
    await portero.filesSynced();
    const files = await filesUnder(portero.stateDir);
    assert.ok(files.some((file) => file.endsWith('haproxy.cfg')));
    for (const file of files) {
      const content = await readFile(file, 'utf8').catch(() => '');
      const lines = unquotedMarks(content);
      assert.deepEqual(lines.map((line) => line.slice(0, 300)), [], `${file} holds a hostile value outside single quotes`);
      // Single-quoted hostile values are canary header values, the basic-auth
      // realm, the auth subrequest's X-Auth-Request-Redirect (a Lua
      // argument) and a cookie domain of proxy-cookie-domain (escaped in the
      // expression, literal in the replacement), and only those: text, never
      // configuration.
      if (file.endsWith('.cfg')) {
        const allowed = [
          new RegExp(`req\\.hdr\\(${CANARY_HEADER}\\) -m (str|reg) '[^']*'`),
          /^ {2}http-request return status 401 .* hdr www-authenticate 'Basic realm="[^'"]*"'/,
          /^ {2}http-request lua\.portero_auth( '[^']*'| [A-Z]+)+$/,
          /^ {2}http-response replace-header Set-Cookie '[^']*' '[^']*'$/,
        ];
        for (const line of content.split('\n').filter((candidate) => candidate.toLowerCase().includes(MARK))) {
          assert.ok(allowed.some((pattern) => pattern.test(line)), line);
        }
      } else {
        assert.ok(!content.toLowerCase().includes(MARK), `${file} holds a hostile value`);
      }
    }
  });

  test('no hostile value reaches HAProxy through the runtime API', async () => {
    const live = await liveState(portero.stateDir);
    assert.ok(live.some((line) => line.includes('good.hostile-ann.test')), 'the live maps should hold the good host');
    for (const line of live) assert.ok(!line.toLowerCase().includes(MARK), `HAProxy holds a hostile value: ${line.slice(0, 500)}`);
  });

  test('HAProxy keeps running and the well-behaved Ingresses keep serving', async () => {
    assert.equal(portero.child.exitCode, null);
    assert.equal(await portero.health('/healthz'), 200);
    assert.equal(await whoAnswers(portero.httpPort, 'good.hostile-ann.test', '/'), 'app');
    assert.equal(await whoAnswers(portero.httpPort, 'good-annotated.hostile-ann.test', '/'), 'app');
  });

  test('a canary header value is data: only a request sending that exact text reaches the canary', async () => {
    const byValue = CASES.find((c) => c.annotation === 'canary-by-header-value' && c.kind === 'sample expression')!;
    const value = HOSTILE_VALUES[byValue.kind]!;
    assert.equal(await whoAnswers(portero.httpPort, byValue.host, '/'), 'app');
    const sent = await request({ port: portero.httpPort, host: byValue.host, path: '/', headers: { [CANARY_HEADER]: value } });
    assert.equal(sent.echo?.name, 'canary');
    // What `%[src]` would have become, had it been read as a sample expression.
    const evaluated = await request({ port: portero.httpPort, host: byValue.host, path: '/', headers: { [CANARY_HEADER]: `127.0.0.1${MARK}` } });
    assert.equal(evaluated.echo?.name, 'app');
  });

  test('each hostile Ingress is refused with a diagnostic naming the annotation, or served with the value treated as data', async () => {
    const entries = portero.entries();
    const diagnosed = new Set(entries.filter((entry) => typeof entry.field === 'string' && typeof entry.object === 'string').map((entry) => `${entry.object} ${entry.field}`));
    const failures: string[] = [];
    for (const c of CASES) {
      const named = diagnosed.has(`Ingress default/${c.name} metadata.annotations[${JSON.stringify(`${A}/${c.annotation}`)}]`);
      let outcome: 'refused' | 'failed closed' | 'served';
      if (c.canary) {
        // A refused canary leaves its host to the main Ingress: judged by its diagnostic.
        outcome = named ? 'refused' : 'served';
      } else {
        const status = (await request({ port: portero.httpPort, host: c.host, path: '/' })).status;
        // 503 without a diagnostic: a valid (trimmed) value served, e.g. proxy-ssl-name with an upstream that speaks no TLS.
        outcome = status === 503 && named ? 'failed closed' : status === 404 ? 'refused' : 'served';
      }
      outcomes.set(`${c.annotation} / ${c.kind}`, outcome);
      const expectServed = EXPECTED_SERVED.has(`${c.annotation} / ${c.kind}`);
      if (c.kind !== TRIMMED) {
        if (outcome === 'served' && !expectServed) failures.push(`${c.annotation} (${c.kind}): served, expected refused`);
        if (outcome !== 'served' && expectServed) failures.push(`${c.annotation} (${c.kind}): ${outcome}, expected served (the value is data)`);
      }
      if (outcome !== 'served' && !named) failures.push(`${c.annotation} (${c.kind}): ${outcome} without a diagnostic naming the annotation`);
      if (c.annotation.startsWith('mirror-') && c.kind !== TRIMMED && !named) failures.push(`${c.annotation} (${c.kind}): served without the copy, but no warning names the annotation`);
    }
    const summary = new Map<string, number>();
    for (const outcome of outcomes.values()) summary.set(outcome, (summary.get(outcome) ?? 0) + 1);
    console.log(`hostile annotation values: ${[...summary].map(([k, v]) => `${v} ${k}`).join(', ')} (of ${CASES.length}); served: ${[...outcomes].filter(([, o]) => o === 'served').map(([pair]) => pair).join('; ')}`);
    assert.deepEqual(failures, []);
  });
});
