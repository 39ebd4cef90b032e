// Hostile values in every key of the ingress-nginx ConfigMap Portero reads
// (READ_KEYS, with --configmap), and in the header ConfigMaps that
// add-headers and proxy-set-headers name: one running Portero, the values
// applied one after the other, as an operator's edits would be.
//
// Per hostile value, two rounds. In the first, every key holds it but
// add-headers, which names a valid ConfigMap whose `X-Round` header tells
// that the round was applied; that ConfigMap holds the hostile value in a
// header too. In the second, add-headers holds it too and proxy-set-headers
// names the valid ConfigMap, whose `X-Round` request header reaches the
// backend; and the keys read only with another one get it valid
// (global-auth-url, to an auth service that lets every request in, for the
// global-auth-* keys; use-gzip for gzip-*).
//
// Checked after each round: no hostile value reaches a file HAProxy reads
// outside the single-quoted forms that are data (a User-Agent or Referer
// compared as text, a header value set as text, the auth subrequest's
// X-Auth-Request-Redirect), nor HAProxy's live state; HAProxy accepts what Portero
// renders (it keeps serving the well-behaved Ingress, with the round's
// header); and each refused value is a warning naming the ConfigMap and the
// key. The ConfigMap is never fatal: the rest of it applies.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { READ_KEYS } from '../../src/translate/configmap.js';
import { startBackend, type Backend } from '../helpers/backends.js';
import { filesUnder } from '../helpers/files.js';
import { HOSTILE_VALUES, liveState, MARK, unquotedMarks } from '../helpers/hostile.js';
import { request } from '../helpers/http.js';
import { appOn, configMap, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const NAMESPACE = 'ingress-nginx';
const NAME = 'ingress-nginx-controller';
const HOST = 'good.hostile-cm.test';
const ROUND_HEADERS = 'round-headers';

/** Keys whose values are lists of texts compared with request headers: an entry is data, single-quoted. */
const TEXT_LIST_KEYS = new Set(['block-user-agents', 'block-referers', 'gzip-disable']);

/** The controller ConfigMap of a round: every key hostile but `valid`, which names the round's header ConfigMap, and `companions`. */
function roundObjects(value: string, round: string, valid: 'add-headers' | 'proxy-set-headers', companions: Record<string, string> = {}): Json[] {
  const data: Record<string, string> = {};
  for (const key of READ_KEYS) data[key] = value;
  Object.assign(data, companions);
  data[valid] = `default/${ROUND_HEADERS}`;
  return [configMap(NAME, data, NAMESPACE), configMap(ROUND_HEADERS, { 'X-Round': round, 'X-Hostile': value })];
}

/** The config lines holding the marker that are data, not configuration: single-quoted texts in these rules only. */
const DATA_LINES = [
  // An exact User-Agent or Referer of block-user-agents / block-referers, or a gzip-disable pattern.
  /^ {2}acl portero_block_(ua|referer) req\.fhdr\((user-agent|referer),1\) -m (str|reg)( -i)? '[^']*'$/,
  /^ {2}http-request del-header Accept-Encoding if \{ req\.hdr\(user-agent\) -m reg( -i)? '[^']*' \}$/,
  // A header value of the add-headers / proxy-set-headers ConfigMaps (`%` doubled: no sample expression).
  /^ {2}http-(request|response) set-header x-hostile '([^'%]|%%)*'$/,
  /^ {2}http-after-response set-header x-hostile '([^'%]|%%)*' if !\{ res\.hdr\(x-hostile\) -m found \}$/,
  // global-auth-request-redirect: a checked argument of the auth Lua action, which sends it as a header value.
  /^ {2}http-request lua\.portero_auth( '[^']*'| [A-Z]+)+$/,
];
const dataLine = (line: string) => DATA_LINES.some((pattern) => pattern.test(line));

describe('hostile values in every ConfigMap key', { timeout: 900_000 }, () => {
  let portero: Portero;
  let app: Backend;
  let auth: Backend;
  const failures: string[] = [];
  const companions = () => ({ 'global-auth-url': `http://${auth.address}:${auth.port}/auth`, 'use-gzip': 'true' });

  before(async () => {
    app = await startBackend('app');
    auth = await startBackend('auth');
    portero = await startPortero({
      flags: ['--configmap', `${NAMESPACE}/${NAME}`],
      files: { 'good.yaml': appOn(HOST, [app], 'good'), 'configmap.yaml': roundObjects('', 'r0', 'add-headers') },
    });
  });

  after(async () => {
    await portero?.dispose();
    await app?.close();
    await auth?.close();
  });

  async function judge(kind: string, round: string): Promise<void> {
    await portero.filesSynced();
    for (const file of await filesUnder(portero.stateDir)) {
      const content = await readFile(file, 'utf8').catch(() => '');
      if (file.endsWith('.cfg')) {
        for (const line of unquotedMarks(content)) failures.push(`${round} (${kind}): ${file} holds it outside single quotes: ${line.slice(0, 200)}`);
        for (const line of content.split('\n').filter((candidate) => candidate.toLowerCase().includes(MARK) && !dataLine(candidate))) failures.push(`${round} (${kind}): ${line.slice(0, 200)}`);
      } else if (content.toLowerCase().includes(MARK)) failures.push(`${round} (${kind}): ${file} holds it`);
    }
    for (const line of await liveState(portero.stateDir, 1)) if (line.toLowerCase().includes(MARK)) failures.push(`${round} (${kind}): HAProxy's live state holds it: ${line.slice(0, 200)}`);
    assert.equal(portero.child.exitCode, null);
  }

  for (const [index, [kind, value]] of Object.entries(HOSTILE_VALUES).entries()) {
    test(`${kind}: in every key, then in add-headers too; the rest of the ConfigMap applies, nothing reaches HAProxy`, async () => {
      const first = `r${index}a`;
      await portero.write('configmap.yaml', roundObjects(value, first, 'add-headers'));
      await eventually(async () => assert.equal((await request({ port: portero.httpPort, host: HOST, path: '/' })).headers['x-round'], first), 30_000);
      await judge(kind, first);

      const second = `r${index}b`;
      await portero.write('configmap.yaml', roundObjects(value, second, 'proxy-set-headers', companions()));
      await eventually(async () => { const r = await request({ port: portero.httpPort, host: HOST, path: '/' }); assert.equal(r.echo?.headers['x-round'], second, `${r.status} ${r.body.slice(0, 300)}`); }, 30_000);
      await judge(kind, second);
    });
  }

  test('every hostile value was reported: a warning naming the ConfigMap and each key it could not read', () => {
    const warned = new Set(portero.entries().filter((entry) => entry.object === `ConfigMap ${NAMESPACE}/${NAME}`).map((entry) => String(entry.field)));
    const silent = READ_KEYS.filter((key) => !TEXT_LIST_KEYS.has(key) && !warned.has(`data[${JSON.stringify(key)}]`));
    assert.deepEqual(silent, [], 'keys never warned about');
    assert.deepEqual(failures, []);
  });
});
