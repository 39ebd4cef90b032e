// Feature values through settings.map (features/settings.ts): which values
// are runtime settings, what a section's shape is, how a changed value finds
// the loaded section of its Service port (structure.ts BackendNames), and
// the runtime plans that follow, carried out with HAProxy's semantics
// against the files a reload would write. test/e2e/annotations-basic.test.ts
// checks the same changes through a real HAProxy.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planChange, type LiveState, type RuntimePlan } from '../../src/dataplane/haproxy/plan.js';
import { MAP_FILES, mapContents, renderFiles, sourceListContents, type MapName } from '../../src/dataplane/haproxy/render-files.js';
import { patternListFile } from '../../src/dataplane/haproxy/features/source-lists.js';
import { executePlan } from '../../src/dataplane/haproxy/runtime-apply.js';
import { settingEntries, shapeKey } from '../../src/dataplane/haproxy/features/settings.js';
import { featureLines } from '../../src/dataplane/haproxy/render-features.js';
import { renderConfig } from '../../src/dataplane/haproxy/render-config.js';
import { BackendNames, structureFor } from '../../src/dataplane/haproxy/structure.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';
import type { Model } from '../../src/model/model.js';
import { A, assertHaproxyAccepts } from '../helpers/annotations.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { RuntimeSimulator } from '../helpers/runtime-simulator.js';
import { translateJson } from '../helpers/translate.js';

const GEN = '/state/gen-1';
const LOADED: readonly MapName[] = ['hosts', 'exact', 'prefix', 'settings'];
const file = (name: MapName) => `${GEN}/${MAP_FILES[name]}`;

/** Ingresses `name` → host `<name>.test`, every path to the Service `app`, with annotations. */
function modelOf(ingresses: Record<string, Record<string, string>>, fallbackCertificatePem?: string, extra: readonly Record<string, unknown>[] = []): Model {
  const objects = [
    ...extra,
    ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] }),
    ...Object.entries(ingresses).map(([name, annotations]) => ingress({ name, annotations, rules: [{ host: `${name}.test`, paths: [{ service: 'app' }] }] })),
  ];
  const { model, diagnostics } = translateJson(objects, fallbackCertificatePem ? { fallbackCertificatePem } : {});
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  return model;
}

const allow = (sources: string, deny?: string) => ({ [`${A}/allowlist-source-range`]: sources, ...(deny ? { [`${A}/denylist-source-range`]: deny } : {}) });
const values = (size: string, timeout: string, extra: Record<string, string> = {}) => ({ [`${A}/proxy-body-size`]: size, [`${A}/proxy-read-timeout`]: timeout, ...extra });

class Running {
  readonly haproxy = new RuntimeSimulator();
  state: LiveState;

  constructor(model: Model) {
    this.state = this.reload(model);
  }

  private reload(model: Model): LiveState {
    const names = new BackendNames(structureFor(model));
    const maps = mapContents(model, names);
    for (const name of LOADED) this.haproxy.load(file(name), maps[name].map((entry) => `${entry.key} ${entry.value.text}\n`).join(''));
    this.haproxy.state.acls.clear();
    for (const [path, sources] of sourceListContents(model, names)) this.haproxy.loadAcl(`${GEN}/${path}`, patternListFile(path, sources));
    return { model, names, sparesUsed: 0 };
  }

  /** Applies the next model as the data plane does; returns the plan's kind and reason. */
  async apply(next: Model): Promise<{ kind: string; detail?: string; plan?: RuntimePlan }> {
    const plan = planChange(this.state, next);
    if (plan.kind === 'reload') {
      this.state = this.reload(next);
      return { kind: 'reload', detail: plan.detail };
    }
    if (plan.kind === 'unchanged') {
      this.state = { ...this.state, model: next };
      return { kind: 'unchanged' };
    }
    await executePlan(plan, { runtime: this.haproxy.api, genDir: GEN, defaultCertificateId: 'default', draining: new Set(), unloaded: new Set(['backends', 'redirect', 'canary', 'candidates', 'regex', 'passthrough']) });
    this.state = { model: next, names: plan.names, sparesUsed: plan.sparesUsed };
    return { kind: 'runtime', plan };
  }

  /** The live maps are what a reload would write now. */
  assertMapsAreFiles(step: string): void {
    const files = mapContents(this.state.model, this.state.names);
    for (const name of LOADED) assert.deepEqual(this.haproxy.lines(file(name)), files[name].map((entry) => `${entry.key} ${entry.value.text}`).sort(), `${name} after ${step}`);
    // A section without an occupant has an empty list: the next one starts from nothing.
    const lists = sourceListContents(this.state.model, this.state.names);
    for (const path of this.haproxy.state.acls.keys()) assert.deepEqual(this.haproxy.acl(path), [...(lists.get(path.slice(GEN.length + 1)) ?? [])].sort(), `${path} after ${step}`);
    for (const path of lists.keys()) assert.ok(this.haproxy.state.acls.has(`${GEN}/${path}`), `${path} after ${step}: a list HAProxy never loaded`);
  }
}

describe('runtime settings: values and shapes', () => {
  test('the values settings.map carries, in milliseconds and bytes', () => {
    assert.deepEqual(
      settingEntries('sec', { timeouts: { connectSeconds: 5, serverSeconds: 7200 }, maxBodyBytes: 1024, redirect: { location: 'https://x.test/a?b=%2F', code: 301 } }).map((entry) => `${entry.key} ${entry.value.text}`),
      ['sec|server-timeout 7200000', 'sec|tunnel-timeout 7200000', 'sec|max-body 1024', 'sec|location https://x.test/a?b=%2F', 'sec|redirect-code 301'],
    );
    assert.deepEqual(settingEntries('sec', { timeouts: { serverSeconds: 60 } }).map((entry) => entry.key), ['sec|server-timeout'], 'the tunnel timeout stays the default under an hour');
    assert.deepEqual(
      settingEntries('sec', { limits: { zone: 'default/web', connections: 3, rpm: 100, rps: 7, burstMultiplier: 5 } }).map((entry) => `${entry.key} ${entry.value.text}`),
      ['sec|limit-conn 3', 'sec|limit-rpm 500', 'sec|limit-rps 35'],
      'rates are the counts admitted within the window',
    );
    assert.deepEqual(settingEntries('sec', { cors: { methods: ['GET', 'PUT'], headers: ['X-A'], exposeHeaders: [], credentials: false, maxAgeSeconds: 1 } }).map((entry) => `${entry.key} ${entry.value.text}`), ['sec|cors X-A;;1;GET, PUT;false']);
    assert.deepEqual(settingEntries('sec', { denied: true, cors: { methods: ['GET'], headers: [], exposeHeaders: [], credentials: false, maxAgeSeconds: 1 } }), [], 'a denied location has no CORS');
  });

  test('the shape leaves the values out, but not which features there are, the connect timeout or crossing the hour', () => {
    const shape = (features: Parameters<typeof shapeKey>[0]) => shapeKey(features);
    assert.equal(shape({ maxBodyBytes: 1 }), shape({ maxBodyBytes: 2 }));
    assert.equal(shape({ timeouts: { serverSeconds: 60 } }), shape({ timeouts: { serverSeconds: 120 } }));
    assert.equal(shape({ redirect: { location: 'https://a.test/', code: 301 } }), shape({ redirect: { location: 'https://b.test/x', code: 301 } }));
    assert.equal(shape({ redirect: { location: 'https://a.test/', code: 301 } }), shape({ redirect: { location: 'https://a.test/', code: 302 } }), 'the redirect code is a value');
    assert.notEqual(shape({ redirect: { location: '/a', code: 301, pathLocation: 'absolute' } }), shape({ redirect: { location: '/a', code: 301, pathLocation: 'relative' } }));
    assert.notEqual(shape({ timeouts: { serverSeconds: 60 } }), shape({ timeouts: { serverSeconds: 7200 } }));
    assert.notEqual(shape({ timeouts: { connectSeconds: 1, serverSeconds: 60 } }), shape({ timeouts: { connectSeconds: 2, serverSeconds: 60 } }));
    assert.notEqual(shape({ maxBodyBytes: 1 }), shape({ maxBodyBytes: 1, timeouts: { serverSeconds: 60 } }));
    const cors = { methods: ['GET'], headers: ['X-A'], exposeHeaders: [], credentials: false, maxAgeSeconds: 1 };
    assert.equal(shape({ cors: { ...cors, origins: ['https://a.test'] } }), shape({ cors: { ...cors, origins: ['https://b.test', 'https://c.test'], headers: ['X-B', 'X-C'], maxAgeSeconds: 9 } }));
    assert.equal(shape({ cors }), shape({ cors: { ...cors, methods: ['PUT'], written: { methods: 'PUT, GET', headers: 'X-A, X-B' } } }), 'the methods and the lists as written are values');
    assert.notEqual(shape({ cors }), shape({ cors: { ...cors, origins: ['https://a.test'] } }), 'any origin or a list');
    assert.equal(shape({ cors }), shape({ cors: { ...cors, credentials: true } }), 'cors-allow-credentials is a value');
    assert.notEqual(shape({ cors }), shape({ cors: { ...cors, exposeHeaders: ['X-B'] } }));
    const limits = { zone: 'default/web', burstMultiplier: 5 };
    assert.equal(shape({ limits: { ...limits, rps: 1, connections: 2 } }), shape({ limits: { ...limits, rps: 10, connections: 20 } }));
    assert.notEqual(shape({ limits: { ...limits, rps: 1 } }), shape({ limits: { ...limits, rps: 1, burstMultiplier: 2 } }), 'the multiplier is the table window');
    assert.notEqual(shape({ limits: { ...limits, rps: 1 } }), shape({ limits: { ...limits, rpm: 1 } }));
    assert.notEqual(shape({ limits: { ...limits, rps: 1 } }), shape({ limits: { ...limits, rps: 1, zone: 'default/other' } }));
    assert.equal(shape({ upstreamHost: 'a.internal' }), shape({ upstreamHost: 'b.internal:8080' }), 'upstream-vhost is a value');
    assert.equal(shape({ responseHeaders: [{ name: 'x-a', value: 'one' }, { name: 'x-b' }] }), shape({ responseHeaders: [{ name: 'x-a', value: '50% %[src] #two' }, { name: 'x-b' }] }), 'custom-headers values are values');
    assert.notEqual(shape({ responseHeaders: [{ name: 'x-a', value: 'one' }] }), shape({ responseHeaders: [{ name: 'x-c', value: 'one' }] }), 'the names are rules');
    assert.notEqual(shape({ responseHeaders: [{ name: 'x-a', value: 'one' }] }), shape({ responseHeaders: [{ name: 'x-a', value: ' one' }] }), 'a value a map line cannot carry stays in the rules');
  });

  test('upstream-vhost and custom-headers values: map entries, read by the rules; literal when a map line cannot carry them', () => {
    const features = { upstreamHost: 'svc.internal:8080', responseHeaders: [{ name: 'x-a', value: '50% %[src]' }, { name: 'x-b' }, { name: 'x-c', value: 'two  spaces' }] };
    assert.deepEqual(settingEntries('sec', features).map((entry) => `${entry.key} ${entry.value.text}`), ['sec|upstream-host svc.internal:8080', 'sec|header-0 50% %[src]']);
    const lines = featureLines(features, { httpsPort: 443, genDir: '/g', section: 'sec' });
    assert.ok(lines.includes('  http-request set-header Host %[str(sec|upstream-host),map_str(/g/settings.map)]'), lines.join('\n'));
    assert.ok(lines.includes('  http-after-response set-header x-a %[str(sec|header-0),map_str(/g/settings.map)]'));
    assert.ok(lines.includes('  http-after-response del-header x-b'));
    assert.ok(lines.includes("  http-after-response set-header x-c 'two  spaces'"));
  });

  test('a value that slipped past the annotation grammars is never rendered', () => {
    assert.throws(() => settingEntries('sec', { redirect: { location: 'https://a.test/ x', code: 301 } }));
    assert.throws(() => settingEntries('sec', { maxBodyBytes: -1 }));
    assert.throws(() => settingEntries('a b', { maxBodyBytes: 1 }));
  });

  test('HAProxy accepts the rules and settings.map (haproxy -c)', async () => {
    const generated = await generateSelfSigned('test', ['a.test'], 30);
    const inspected = inspectKeyPair(generated.cert, generated.key);
    assert.ok(inspected.ok);
    const model = modelOf({ web: values('8m', '120'), moved: { [`${A}/permanent-redirect`]: 'https://example.org/%2F' }, long: values('1k', '7200'), other: {} }, inspected.info.pem);
    const config = await assertHaproxyAccepts(model);
    assert.match(config, /set-timeout tunnel str\([^)]*\|tunnel-timeout\),map_str\(/);
  });
});

describe('runtime settings: changes without a reload', () => {
  test('a changed value takes the loaded section of its Service port: a map entry, no server change', async () => {
    const running = new Running(modelOf({ web: values('1m', '60') }));
    const section = running.state.model.backends.find((backend) => backend.features)!.id;
    const result = await running.apply(modelOf({ web: values('8m', '120') }));
    assert.equal(result.kind, 'runtime', result.detail);
    assert.deepEqual([...result.plan!.addServers, ...result.plan!.removeServers], []);
    assert.deepEqual(running.haproxy.sent.filter((command) => !command.startsWith('show')), [
      `set map ${file('settings')} ${section}|max-body 8388608`,
      `set map ${file('settings')} ${section}|server-timeout 120000`,
    ]);
    const moved = running.state.model.backends.find((backend) => backend.features)!.id;
    assert.notEqual(moved, section);
    assert.equal(running.state.names.nameOf(moved), section);
    running.assertMapsAreFiles('8m');
    // And back: the first backend is its section's own again.
    assert.equal((await running.apply(modelOf({ web: values('1m', '60') }))).kind, 'runtime');
    assert.equal(running.state.names.nameOf(section), section);
    running.assertMapsAreFiles('back to 1m');
  });

  test('a section given to another backend keeps the files its rules read (basic auth users)', async () => {
    const users = [{ apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'users', namespace: 'default' }, stringData: { auth: 'sam:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n' } }];
    const auth = { [`${A}/auth-type`]: 'basic', [`${A}/auth-secret`]: 'users' };
    const running = new Running(modelOf({ web: values('1m', '60', auth) }, undefined, users));
    assert.equal((await running.apply(modelOf({ web: values('8m', '60', auth) }, undefined, users))).kind, 'runtime');
    const files = renderFiles(running.state.model, GEN, running.state.names).map((file) => file.path);
    assert.ok(files.some((path) => /^auth\/[0-9a-f]{16}\.map$/.test(path)), files.join(' '));
  });

  test('the configuration written for the live state gives a section its taker\'s rules (they read the taker\'s values under the section\'s name)', async () => {
    const running = new Running(modelOf({ web: values('1m', '60') }));
    const section = running.state.model.backends.find((backend) => backend.features)!.id;
    assert.equal((await running.apply(modelOf({ web: values('8m', '60') }))).kind, 'runtime');
    const config = renderConfig(running.state.model, { stateDir: '/state', adminSocket: '/state/admin.sock', bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, hardStopAfter: '5m', maxReloads: 8 }, GEN, running.state.names);
    const lines = config.slice(config.indexOf(`backend ${section}\n`)).split('\n\n')[0]!;
    assert.match(lines, new RegExp(`set-var\\(txn.portero_max_body\\) str\\(${section.replace(/\./g, '\\.')}\\|max-body\\)`));
    assert.match(lines, /server /, 'and its servers');
  });

  test('a sequence of changes on one running data plane keeps the live maps equal to the files', async () => {
    const running = new Running(modelOf({ web: values('1m', '60'), api: values('2m', '30') }));
    const steps: [string, Record<string, Record<string, string>>, 'runtime' | 'reload' | 'unchanged'][] = [
      ['web 8m', { web: values('8m', '60'), api: values('2m', '30') }, 'runtime'],
      // api's values now equal web's old ones: one backend id, and web's old section is free for it.
      ['api takes web\'s old values', { web: values('8m', '60'), api: values('1m', '60') }, 'runtime'],
      ['both the same values: one backend', { web: values('1m', '60'), api: values('1m', '60') }, 'runtime'],
      ['apart again', { web: values('3m', '90'), api: values('1m', '60') }, 'runtime'],
      ['a third value set while two are in use: no free section', { web: values('3m', '90'), api: values('1m', '60'), extra: values('5m', '5') }, 'reload'],
      ['the extra leaves', { web: values('3m', '90'), api: values('1m', '60') }, 'runtime'],
      ['a new feature changes the shape', { web: values('3m', '90', { [`${A}/enable-cors`]: 'true' }), api: values('1m', '60') }, 'reload'],
      ['crossing the hour changes the shape', { web: values('3m', '7200', { [`${A}/enable-cors`]: 'true' }), api: values('1m', '60') }, 'reload'],
      ['above the hour, a value', { web: values('3m', '9000', { [`${A}/enable-cors`]: 'true' }), api: values('1m', '60') }, 'runtime'],
      ['an annotation removed', { web: values('3m', '9000', { [`${A}/enable-cors`]: 'true' }), api: {} }, 'runtime'],
      ['nothing', { web: values('3m', '9000', { [`${A}/enable-cors`]: 'true' }), api: {} }, 'unchanged'],
      ['an allowlist is new rules', { web: values('3m', '9000', { [`${A}/enable-cors`]: 'true' }), api: allow('10.0.0.0/8, 192.168.0.0/16') }, 'reload'],
      ['a range added and one removed', { web: values('3m', '9000', { [`${A}/enable-cors`]: 'true' }), api: allow('10.0.0.0/8, 172.16.0.0/12') }, 'runtime'],
      ['a denylist too is new rules', { web: values('3m', '9000', { [`${A}/enable-cors`]: 'true' }), api: allow('10.0.0.0/8', '10.1.2.3') }, 'reload'],
      ['both lists changed, and the body size', { web: values('4m', '9000', { [`${A}/enable-cors`]: 'true' }), api: allow('10.0.0.0/8, 2001:db8::/32', '10.1.2.4, 10.1.2.5') }, 'runtime'],
      ['the Ingress leaves: its section\'s lists are emptied', { web: values('4m', '9000', { [`${A}/enable-cors`]: 'true' }) }, 'runtime'],
      ['another takes the section, from nothing', { web: values('4m', '9000', { [`${A}/enable-cors`]: 'true' }), api: allow('127.0.0.1', '127.0.0.2') }, 'runtime'],
      ['CORS is new rules', { web: values('4m', '9000', { [`${A}/enable-cors`]: 'true', [`${A}/cors-allow-origin`]: 'https://a.test' }), api: allow('127.0.0.1', '127.0.0.2') }, 'reload'],
      ['new origins and methods are a pattern file and a map entry', { web: values('4m', '9000', { [`${A}/enable-cors`]: 'true', [`${A}/cors-allow-origin`]: 'https://b.test, https://*.c.test', [`${A}/cors-allow-headers`]: 'X-A, X-B', [`${A}/cors-max-age`]: '60' }), api: allow('127.0.0.1', '127.0.0.2') }, 'runtime'],
      ['new methods, written with spaces, are a map entry', { web: values('4m', '9000', { [`${A}/enable-cors`]: 'true', [`${A}/cors-allow-origin`]: 'https://b.test, https://*.c.test', [`${A}/cors-allow-headers`]: 'X-A, X-B', [`${A}/cors-max-age`]: '60', [`${A}/cors-allow-methods`]: 'POST, GET' }), api: allow('127.0.0.1', '127.0.0.2') }, 'runtime'],
      ['limits are new rules', { web: values('4m', '9000', { [`${A}/enable-cors`]: 'true', [`${A}/cors-allow-origin`]: 'https://b.test, https://*.c.test', [`${A}/cors-allow-headers`]: 'X-A, X-B', [`${A}/cors-max-age`]: '60' }), api: { [`${A}/limit-rps`]: '5', [`${A}/limit-connections`]: '2' } }, 'reload'],
      ['new limit counts are values', { web: values('4m', '9000', { [`${A}/enable-cors`]: 'true', [`${A}/cors-allow-origin`]: 'https://b.test, https://*.c.test', [`${A}/cors-allow-headers`]: 'X-A, X-B', [`${A}/cors-max-age`]: '60' }), api: { [`${A}/limit-rps`]: '50', [`${A}/limit-connections`]: '20' } }, 'runtime'],
      ['a new burst multiplier is a new table window', { web: values('4m', '9000', { [`${A}/enable-cors`]: 'true', [`${A}/cors-allow-origin`]: 'https://b.test, https://*.c.test', [`${A}/cors-allow-headers`]: 'X-A, X-B', [`${A}/cors-max-age`]: '60' }), api: { [`${A}/limit-rps`]: '50', [`${A}/limit-connections`]: '20', [`${A}/limit-burst-multiplier`]: '2' } }, 'reload'],
    ];
    for (const [step, ingresses, kind] of steps) {
      const result = await running.apply(modelOf(ingresses));
      assert.equal(result.kind, kind, `${step}: ${result.detail ?? ''}`);
      running.assertMapsAreFiles(step);
      const sections = running.state.model.backends.map((backend) => running.state.names.nameOf(backend.id));
      assert.equal(new Set(sections).size, sections.length, `${step}: one section per backend`);
    }
  });
});
