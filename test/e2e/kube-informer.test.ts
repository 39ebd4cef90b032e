// Reading lists and watch events the way Portero does at scale: list
// responses parsed item by item as they arrive, with managedFields and the
// last-applied annotation cut out of the bytes before parsing. The objects
// that come out must be exactly the API's objects without those two fields,
// whatever the content (escapes, quotes and brackets inside strings,
// non-ASCII text) and wherever the network splits the bytes.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { KubeClient } from '../../src/kube/client.js';
import { Informer } from '../../src/kube/informer.js';
import { ListStreamParser } from '../../src/kube/list-stream.js';
import { prunedText } from '../../src/kube/prune.js';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { asApplied, startApi } from '../helpers/kube.js';
import { ingress } from '../helpers/objects.js';
import { eventually } from '../helpers/portero.js';

type Json = Record<string, any>;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const AWKWARD = ['"managedFields":[1]', '\\"managedFields\\":[', `"${LAST_APPLIED}":"x"`, 'ends with a backslash \\', '\\\\', '}]{[', 'ünïcødé ✓ 🚀', '\u0000\u001f', ',"managedFields":{'];

/** An Ingress as kubectl apply leaves it, with awkward text in labels and annotations. */
function awkwardIngress(i: number): Json {
  const object = asApplied(ingress({ name: `awkward-${i}`, annotations: { note: AWKWARD[i % AWKWARD.length]!, other: AWKWARD[(i * 5) % AWKWARD.length]! }, rules: [{ host: `a${i}.informer.test`, paths: [{ service: 'app' }] }] }), i) as Json;
  // The last-applied annotation first, last or alone, as other tools order them.
  const annotations = object.metadata.annotations as Json;
  if (i % 3 === 1) object.metadata.annotations = { [LAST_APPLIED]: annotations[LAST_APPLIED], ...annotations };
  if (i % 3 === 2) object.metadata.annotations = { [LAST_APPLIED]: annotations[LAST_APPLIED] };
  return object;
}

/** What Portero should see of an object: the same, without managedFields and the last-applied annotation. */
function withoutUnread(object: Json): Json {
  const copy = JSON.parse(JSON.stringify(object)) as Json;
  delete copy.metadata.managedFields;
  delete copy.metadata.annotations[LAST_APPLIED];
  return copy;
}

function parseInChunks(text: Buffer, sizes: (index: number) => number): { items: Json[]; metadata: Json } {
  const items: Json[] = [];
  const parser = new ListStreamParser((item) => items.push(item), prunedText);
  for (let at = 0, index = 0; at < text.length; index += 1) {
    const size = sizes(index);
    parser.write(text.subarray(at, at + size));
    at += size;
  }
  return { items, metadata: parser.end() };
}

describe('list responses, item by item', () => {
  const objects = Array.from({ length: 12 }, (_, i) => awkwardIngress(i));
  const list = { kind: 'IngressList', apiVersion: 'networking.k8s.io/v1', metadata: { resourceVersion: '42', continue: 'next"page' }, items: objects };
  const expected = objects.map((object) => ({ ...withoutUnread(object), metadata: { ...withoutUnread(object).metadata, managedFields: null } }));

  test('every split of the bytes gives the same items and metadata', () => {
    const small = Buffer.from(JSON.stringify({ ...list, items: objects.slice(0, 3) }));
    for (let split = 1; split < small.length; split += 1) {
      const { items, metadata } = parseInChunks(small, (index) => (index === 0 ? split : small.length));
      assert.deepEqual(items, expected.slice(0, 3), `split at ${split}`);
      assert.deepEqual(metadata, { resourceVersion: '42', continue: 'next"page' });
    }
    for (const text of [Buffer.from(JSON.stringify(list)), Buffer.from(JSON.stringify(list, null, 2))]) {
      for (const size of [1, 2, 3, 7, 64, 1000]) assert.deepEqual(parseInChunks(text, () => size).items, expected, `chunks of ${size}`);
    }
  });

  test('top-level fields in any order, empty and missing items, and broken responses', () => {
    const reordered = Buffer.from(`{"items":[${JSON.stringify(objects[0])}],"metadata":{"resourceVersion":"7"},"kind":"IngressList","extra":[{"items":[1]}]}`);
    const { items, metadata } = parseInChunks(reordered, () => 5);
    assert.deepEqual(items, expected.slice(0, 1));
    assert.deepEqual(metadata, { resourceVersion: '7' });
    assert.deepEqual(parseInChunks(Buffer.from('{"kind":"List","items":[],"metadata":{}}'), () => 3).items, []);
    assert.deepEqual(parseInChunks(Buffer.from('{"kind":"List","items":null}'), () => 3).items, []);
    for (const broken of ['[1,2]', '{"items":[{"a":1}', '{"items":[1]}', '"text"']) {
      assert.throws(() => parseInChunks(Buffer.from(broken), () => 2), Error, broken);
    }
  });
});

describe('the informer reads the API test server', () => {
  let api: KubeApiServer;
  let client: KubeClient;

  before(async () => {
    api = await startApi();
    client = new KubeClient({ server: api.url, insecureSkipTlsVerify: false, credentials: { token: async () => undefined }, source: 'test' });
  });

  after(async () => {
    await client?.close();
    await api?.close();
  });

  test('listed and watched objects arrive whole, without managedFields and the last-applied annotation', async () => {
    // Enough objects for the list response to cross many network reads.
    for (let i = 0; i < 600; i += 1) api.apply(awkwardIngress(i));
    const seen = new Map<string, Json>();
    const informer = new Informer({
      client,
      path: '/apis/networking.k8s.io/v1/ingresses',
      kind: 'Ingress',
      apiVersion: 'networking.k8s.io/v1',
      log: pino({ level: 'silent' }),
      handlers: { upsert: (object) => seen.set(object.metadata.name, object), remove: (object) => seen.delete(object.metadata.name) },
    });
    const expectation = (name: string) => {
      const stored = api.get('networking.k8s.io/v1', 'Ingress', 'default', name) as Json;
      return { ...withoutUnread(stored), metadata: { ...withoutUnread(stored).metadata, managedFields: null } };
    };
    try {
      informer.start();
      await informer.synced;
      assert.equal(seen.size, 600);
      for (const name of ['awkward-0', 'awkward-1', 'awkward-2', 'awkward-599']) assert.deepEqual(seen.get(name), expectation(name));
      api.apply(awkwardIngress(1000));
      await eventually(() => assert.deepEqual(seen.get('awkward-1000'), expectation('awkward-1000')));
    } finally {
      await informer.stop();
    }
  });
});
