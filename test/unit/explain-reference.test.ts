// `portero explain` agrees with the reference matcher (model/match.ts
// `answer`, `selectCertificate`) for random worlds of the invariant test's
// generator and every request of its request set, and the object it names
// is the one whose rule really sends the request there: the rule's Service
// is the target's, exactly one rule is `matched`, and it is served.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { explainRequest } from '../../src/explain/explain.js';
import type { Explanation } from '../../src/explain/types.js';
import { answer, selectCertificate } from '../../src/model/match.js';
import { keyOf } from '../../src/objects/types.js';
import { hintsOf } from '../helpers/invariant/boundaries.js';
import { materials } from '../helpers/invariant/certs.js';
import { expectFor, type Expectation } from '../helpers/invariant/expect.js';
import { DEFAULT_GENERATOR, initialWorld, mutate } from '../helpers/invariant/generate.js';
import { pureEnvironment } from '../helpers/invariant/pure.js';
import { Rng } from '../helpers/invariant/prng.js';
import { probeSet, type Probe } from '../helpers/invariant/requests.js';
import { settingsFor, translateOptionsFor } from '../helpers/invariant/settings.js';
import { burstHosts, CONTROLLER, MATERIALS, renderWorld } from '../helpers/invariant/world.js';

const PORTS = { http: 80, https: 443 };

/** The world after `steps` random mutations of seed `seed`, translated as Portero would. */
async function worldOf(seed: number, steps: number, clientAuth: boolean): Promise<{ expectation: Expectation; hosts: string[]; watch: boolean; flag: boolean }> {
  const settings = settingsFor({ seed });
  const env = pureEnvironment(await materials(MATERIALS));
  const generator = { ...DEFAULT_GENERATOR, clientAuth };
  const options = translateOptionsFor(settings, (await materials(MATERIALS))[0]!.cert, new Date('2026-06-01T00:00:00Z'));
  const rng = new Rng(seed);
  let world = initialWorld(rng, generator);
  let expectation = expectFor(renderWorld(world, env), options);
  for (let step = 0; step < steps; step += 1) {
    world = mutate(rng, world, hintsOf(expectation.facts), undefined, generator).world;
    expectation = expectFor(renderWorld(world, env), options);
  }
  return { expectation, hosts: burstHosts(world), watch: settings.watchIngressWithoutClass, flag: settings.defaultBackendService };
}

function explainProbe(expectation: Expectation, probe: Probe, watch: boolean): Explanation {
  const sni = probe.scheme === 'https' ? (probe.sni === null ? null : (probe.sni ?? (probe.host ?? '').replace(/:\d+$/, ''))) : undefined;
  return explainRequest(
    { translation: expectation.translation, snapshot: expectation.snapshot, classes: { ingressClass: 'portero', controllerClass: CONTROLLER, watchIngressWithoutClass: watch }, ports: PORTS },
    { url: `${probe.scheme}://127.0.0.1${probe.path}`, headers: [['Host', probe.host!]], ...(sni !== undefined ? { sni } : {}) },
  );
}

function check(expectation: Expectation, probe: Probe, watch: boolean): void {
  const model = expectation.translation.model;
  const e = explainProbe(expectation, probe, watch);
  const sni = probe.scheme === 'https' ? (probe.sni === null ? null : (probe.sni ?? (probe.host ?? '').replace(/:\d+$/, ''))) : undefined;
  const reference = answer(model, { scheme: probe.scheme, host: probe.host!, path: probe.path, httpsPort: PORTS.https, ...(sni !== undefined ? { sni } : {}) });
  const where = `${probe.scheme} ${probe.host} ${probe.path}`;
  if (reference.kind === 'bad-request') assert.equal(e.decision.kind, 'bad-request', where);
  else if (reference.kind === 'redirect') assert.deepEqual([e.decision.kind, e.answer.location], ['https-redirect', reference.location], where);
  else if (reference.kind === 'client-auth') assert.deepEqual([e.decision.kind, e.answer.status], ['client-auth', reference.status], where);
  else if (reference.kind === 'client-auth-redirect') assert.deepEqual([e.decision.kind, e.answer.location], ['client-auth', reference.location], where);
  else {
    const target = e.targets[0]!;
    assert.equal(e.targets.length, 1, where);
    assert.equal(target.kind, reference.target.kind, where);
    if (reference.target.kind === 'backend') assert.equal(target.backend?.id, reference.target.id, where);
    assert.equal(e.decision.matched, e.decision.kind === 'route', where);
  }
  if (probe.scheme === 'https') assert.equal(e.tls?.certificate.id, selectCertificate(model, sni ?? undefined).id, where);
  // The rule named is the one that sends the request there.
  const matched = e.considered.filter((rule) => rule.result === 'matched');
  if (e.decision.kind === 'route' && e.level?.scope === undefined) {
    assert.equal(matched.length, 1, `${where}: one matched rule, got ${JSON.stringify(e.considered)}`);
    const source = e.route?.source;
    assert.deepEqual(source, matched[0]!.source, where);
    const served = new Set(expectation.translation.served.map((ref) => keyOf(ref.namespace, ref.name)));
    assert.ok(served.has(keyOf(source!.namespace, source!.name)), where);
    const object = expectation.snapshot.ingresses.find((ingress) => ingress.metadata.namespace === source!.namespace && ingress.metadata.name === source!.name)!;
    const indexes = /^spec\.rules\[(\d+)\]\.http\.paths\[(\d+)\]$/.exec(source!.field!)!;
    const rule = object.spec.rules[Number(indexes[1])]!;
    assert.equal(rule.host ?? '', e.level?.host, where);
    const service = rule.http!.paths[Number(indexes[2])]!.backend.service?.name;
    if (e.targets[0]?.backend) assert.equal(e.targets[0].backend.service, service, where);
  } else if (e.decision.kind === 'https-redirect' || e.decision.kind === 'client-auth') {
    // Answered before routing: the rule that would route it over HTTPS (or with a certificate) is still named.
    assert.ok(matched.length <= 1, where);
  } else if (e.level?.scope === undefined) assert.equal(matched.length, 0, `${where}: no matched rule without a route`);
}

test('explain agrees with the reference matcher, and names the rule that routes, for random worlds', { timeout: 300_000 }, async () => {
  await materials(MATERIALS);
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 8 }), fc.boolean(), async (seed, steps, clientAuth) => {
      const { expectation, hosts, watch } = await worldOf(seed, steps, clientAuth);
      for (const probe of probeSet({ burstHosts: hosts, pathNormalization: true })) {
        if (probe.host === undefined || probe.host === '') continue;
        check(expectation, probe, watch);
      }
    }),
    { numRuns: Number(process.env.EXPLAIN_RUNS ?? 40) },
  );
});
