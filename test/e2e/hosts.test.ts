// Hosts and wildcards, host-level precedence without fall-through, and rules
// merged across Ingresses (oldest wins a conflict).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../helpers/backends.js';
import { whoAnswers } from '../helpers/http.js';
import { ingress, serviceWithEndpoints, type Json } from '../helpers/objects.js';
import { startPortero, type Portero } from '../helpers/portero.js';

describe('hosts, wildcards and precedence', () => {
  let portero: Portero;
  const backends: Record<string, Backend> = {};

  before(async () => {
    const names = ['exact', 'wild', 'hostless', 'only', 'w2only', 'old', 'new', 'tie-a', 'tie-b', 'team'];
    const objects: Json[] = [];
    for (const name of names) {
      backends[name] = await startBackend(name);
      objects.push(...serviceWithEndpoints({ name, endpoints: [backends[name]!], namespace: name === 'team' ? 'team-a' : undefined }));
    }
    objects.push(
      ingress({ name: 'exact', rules: [{ host: 'foo.hosts.test', paths: [{ service: 'exact' }] }] }),
      ingress({ name: 'wild', rules: [{ host: '*.hosts.test', paths: [{ service: 'wild' }] }] }),
      ingress({ name: 'hostless', rules: [{ paths: [{ path: '/public', service: 'hostless' }] }] }),
      ingress({ name: 'only', rules: [{ host: 'only.hosts.test', paths: [{ path: '/only', service: 'only' }] }] }),
      ingress({ name: 'w2only', rules: [{ host: '*.w2.test', paths: [{ path: '/only', service: 'w2only' }] }] }),
      ingress({ name: 'zz-old', creationTimestamp: '2020-01-01T00:00:00Z', rules: [{ host: 'dup.test', paths: [{ path: '/x', service: 'old' }] }] }),
      ingress({
        name: 'aa-new',
        creationTimestamp: '2021-01-01T00:00:00Z',
        rules: [{ host: 'dup.test', paths: [{ path: '/x', service: 'new' }, { path: '/y', service: 'new' }] }],
      }),
      ingress({ name: 'tie-b', creationTimestamp: '2022-01-01T00:00:00Z', rules: [{ host: 'tie.test', paths: [{ path: '/', service: 'tie-b' }] }] }),
      ingress({ name: 'tie-a', creationTimestamp: '2022-01-01T00:00:00Z', rules: [{ host: 'tie.test', paths: [{ path: '/', service: 'tie-a' }] }] }),
      ingress({ name: 'team', namespace: 'team-a', rules: [{ host: 'team.test', paths: [{ service: 'team' }] }] }),
    );
    portero = await startPortero({ files: { 'hosts.yaml': objects } });
  });

  after(async () => {
    await portero?.dispose();
    await Promise.all(Object.values(backends).map((backend) => backend.close()));
  });

  const cases: [string, string, string, string][] = [
    ['an exact host', 'foo.hosts.test', '/', 'exact'],
    ['hosts are case-insensitive', 'FOO.Hosts.TEST', '/a', 'exact'],
    ['the port in Host is ignored', 'foo.hosts.test:8080', '/', 'exact'],
    ['a trailing dot in Host is ignored', 'foo.hosts.test.', '/', 'exact'],
    ['a wildcard matches one extra label', 'bar.hosts.test', '/', 'wild'],
    ['a wildcard is case-insensitive too', 'BAR.hosts.test:99', '/', 'wild'],
    ['a wildcard does not match two extra labels', 'a.bar.hosts.test', '/public', 'hostless'],
    ['a wildcard does not match its own domain', 'hosts.test', '/public', 'hostless'],
    ['host-less rules serve unknown hosts', 'unknown.example', '/public/x', 'hostless'],
    ['host-less paths still have to match', 'unknown.example', '/private', 'status:404'],
    ['no fall-through from an exact host to the wildcard', 'only.hosts.test', '/', 'status:404'],
    ['no fall-through from an exact host to host-less rules', 'only.hosts.test', '/public', 'status:404'],
    ['an exact host still serves its own paths', 'only.hosts.test', '/only/1', 'only'],
    ['no fall-through from a wildcard to host-less rules', 'a.w2.test', '/public', 'status:404'],
    ['a wildcard serves its own paths', 'a.w2.test', '/only', 'w2only'],
    ['the oldest Ingress wins a conflicting path', 'dup.test', '/x', 'old'],
    ['rules of both Ingresses are merged', 'dup.test', '/y', 'new'],
    ['on equal age, namespace/name order decides', 'tie.test', '/', 'tie-a'],
    ['an Ingress routes to Services of its own namespace', 'team.test', '/', 'team'],
  ];
  for (const [title, host, path, expected] of cases) {
    test(title, async () => {
      assert.equal(await whoAnswers(portero.httpPort, host, path), expected);
    });
  }

  test('the losing Ingress gets a warning that names it, the field and the winner', async () => {
    const warning = await portero.waitForLog((entry) => entry.level === 'warn' && entry.object === 'Ingress default/aa-new');
    assert.equal(warning.field, 'spec.rules[0].http.paths[0]');
    assert.match(String(warning.msg), /already routed by older Ingress default\/zz-old/);
  });
});
