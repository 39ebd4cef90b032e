// Canaries through real HAProxy, with ingress-nginx's precedence: header
// (value, pattern, always / never), then cookie, then weight. Weights change
// at runtime without a reload, as delivery tools step them.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { request } from '../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { eventually, startPortero, type Portero } from '../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

function on(name: string, host: string, service: string, annotations: Record<string, string> = {}): Json {
  return ingress({ name, className: 'nginx', annotations, rules: [{ host, paths: [{ path: '/', pathType: 'Prefix', service }] }] });
}

const canary = (extra: Record<string, string>) => ({ [`${A}/canary`]: 'true', ...extra });

describe('ingress-nginx annotations: canary', () => {
  let portero: Portero;
  let stable: Backend;
  let next: Backend;

  before(async () => {
    stable = await startBackend('stable');
    next = await startBackend('next');
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'services.yaml': [...serviceWithEndpoints({ name: 'stable', endpoints: [stable] }), ...serviceWithEndpoints({ name: 'next', endpoints: [next] })],
        'ingresses.yaml': [
          on('main', 'header.canary.test', 'stable'),
          on('main-canary', 'header.canary.test', 'next', canary({ [`${A}/canary-by-header`]: 'X-Canary', [`${A}/canary-by-cookie`]: 'use_next', [`${A}/canary-weight`]: '0' })),
          on('value', 'value.canary.test', 'stable'),
          on('value-canary', 'value.canary.test', 'next', canary({ [`${A}/canary-by-header`]: 'X-Version', [`${A}/canary-by-header-value`]: 'v2' })),
          on('pattern', 'pattern.canary.test', 'stable'),
          on('pattern-canary', 'pattern.canary.test', 'next', canary({ [`${A}/canary-by-header`]: 'X-Version', [`${A}/canary-by-header-pattern`]: '^(v2|beta)$' })),
          on('weighted', 'weight.canary.test', 'stable'),
          on('weighted-canary', 'weight.canary.test', 'next', canary({ [`${A}/canary-weight`]: '30' })),
          on('orphan-canary', 'nobody.canary.test', 'next', canary({ [`${A}/canary-weight`]: '100' })),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await stable?.close();
    await next?.close();
  });

  const who = async (host: string, headers: Record<string, string> = {}) => (await request({ port: portero.httpPort, host, path: '/', headers })).echo?.name ?? 'none';

  test('without a header, cookie or weight, the main Ingress serves', async () => {
    for (let i = 0; i < 10; i += 1) assert.equal(await who('header.canary.test'), 'stable');
  });

  test('canary-by-header: always goes to the canary, never stays, any other value falls through', async () => {
    assert.equal(await who('header.canary.test', { 'x-canary': 'always' }), 'next');
    assert.equal(await who('header.canary.test', { 'x-canary': 'never', cookie: 'use_next=always' }), 'stable');
    assert.equal(await who('header.canary.test', { 'x-canary': 'perhaps' }), 'stable');
  });

  test('canary-by-cookie: always and never, after the header', async () => {
    assert.equal(await who('header.canary.test', { cookie: 'use_next=always' }), 'next');
    assert.equal(await who('header.canary.test', { cookie: 'use_next=never' }), 'stable');
    assert.equal(await who('header.canary.test', { 'x-canary': 'perhaps', cookie: 'a=b; use_next=always' }), 'next');
  });

  test('canary-by-header-value and -pattern', async () => {
    assert.equal(await who('value.canary.test', { 'x-version': 'v2' }), 'next');
    assert.equal(await who('value.canary.test', { 'x-version': 'v3' }), 'stable');
    assert.equal(await who('value.canary.test', { 'x-version': 'always' }), 'stable');
    assert.equal(await who('pattern.canary.test', { 'x-version': 'beta' }), 'next');
    // Case-sensitive, as ingress-nginx's ngx.re.match without the i flag.
    assert.equal(await who('pattern.canary.test', { 'x-version': 'BETA' }), 'stable');
    assert.equal(await who('pattern.canary.test', { 'x-version': 'v22' }), 'stable');
    // The pattern's own ^ anchors it: a value that only ends like it is not the canary's.
    assert.equal(await who('pattern.canary.test', { 'x-version': 'xbeta' }), 'stable');
  });

  test('canary-weight: about that share of the requests', async () => {
    let canaries = 0;
    for (let i = 0; i < 300; i += 1) if ((await who('weight.canary.test')) === 'next') canaries += 1;
    // 30% of 300 = 90; the binomial standard deviation is about 8, so 50-130 holds with overwhelming probability.
    assert.ok(canaries > 50 && canaries < 130, `${canaries} of 300 went to the canary`);
  });

  test('a canary whose host and path no Ingress serves is ignored, with a warning', async () => {
    assert.equal((await request({ port: portero.httpPort, host: 'nobody.canary.test', path: '/' })).status, 404);
    const entry = await portero.waitForLog((line) => line.object === 'Ingress default/orphan-canary');
    assert.match(String(entry.msg), /no other Ingress routes/);
  });

  test('weights change at runtime without a reload, as delivery tools step them; removing the canary restores the route', async () => {
    const reloads = async () => (await portero.metric('portero_haproxy_reloads_total{reason="structural"}')) ?? 0;
    const share = async (samples: number) => {
      let canaries = 0;
      for (let i = 0; i < samples; i += 1) if ((await who('step.canary.test')) === 'next') canaries += 1;
      return canaries;
    };
    await portero.write('step.yaml', [on('step', 'step.canary.test', 'stable'), on('step-canary', 'step.canary.test', 'next', canary({ [`${A}/canary-weight`]: '0' }))]);
    await eventually(async () => assert.equal(await who('step.canary.test'), 'stable'));
    await portero.filesSynced();
    const before = await reloads();
    await portero.write('step.yaml', [on('step', 'step.canary.test', 'stable'), on('step-canary', 'step.canary.test', 'next', canary({ [`${A}/canary-weight`]: '100' }))]);
    await eventually(async () => assert.equal(await share(10), 10));
    await portero.write('step.yaml', [on('step', 'step.canary.test', 'stable'), on('step-canary', 'step.canary.test', 'next', canary({ [`${A}/canary-weight`]: '1', [`${A}/canary-weight-total`]: '1' }))]);
    await eventually(async () => assert.equal(await share(10), 10));
    await portero.write('step.yaml', [on('step', 'step.canary.test', 'stable'), on('step-canary', 'step.canary.test', 'next', canary({ [`${A}/canary-weight`]: '0' }))]);
    await eventually(async () => assert.equal(await share(10), 0));
    assert.equal(await reloads(), before, 'weight steps reloaded HAProxy');
    await portero.write('step.yaml', [on('step', 'step.canary.test', 'stable')]);
    await eventually(async () => assert.equal(await share(10), 0));
    assert.equal((await request({ port: portero.httpPort, host: 'step.canary.test', path: '/', headers: { 'x-canary': 'always' } })).echo?.name, 'stable');
  });
});
