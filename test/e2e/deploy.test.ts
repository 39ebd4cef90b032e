// deploy/: every kustomization renders with `kubectl kustomize`, every
// object is valid against the Kubernetes schemas (kubernetes-models), the
// DaemonSet is what a platform team expects, and the RBAC rules allow every
// API request Portero makes: those declared in src/kube/permissions.ts, and
// those the API test server saw Portero make. Also the image: the files the
// Dockerfile copies exist, and its entrypoint passes the state directory.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { PERMISSIONS, permissionFor, requestAttributes, type RequestAttributes } from '../../src/kube/permissions.js';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { kubeconfigFile, startApi } from '../helpers/kube.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { gateway, gatewayClass, httpRoute } from '../helpers/gateway-api-manifests.js';
import { eventually, ROOT, startPortero, type Portero } from '../helpers/portero.js';

const run = promisify(execFile);
type Json = Record<string, any>;

async function render(directory: string): Promise<Json[]> {
  let stdout: string;
  try {
    stdout = (await run('kubectl', ['kustomize', join(ROOT, directory)])).stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') throw new Error('kubectl is needed to render deploy/: install it (Debian: apt-get install kubernetes-client, or see kubernetes.io/docs/tasks/tools)');
    throw new Error(`kubectl kustomize ${directory}: ${failure.stderr ?? failure.message}`);
  }
  return parseAllDocuments(stdout).map((document) => document.toJS() as Json);
}

/** The kubernetes-models class for an object, by apiVersion and kind. */
async function modelClass(object: Json): Promise<new (data: Json) => { validate(): void }> {
  const [group, version] = String(object.apiVersion).includes('/') ? String(object.apiVersion).split('/') : ['', object.apiVersion];
  const module = (await import(group === '' ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`)) as Record<string, unknown>;
  const found = module[object.kind as string];
  if (typeof found !== 'function') throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  return found as new (data: Json) => { validate(): void };
}

function rulesAllow(rules: Json[], attributes: RequestAttributes): boolean {
  return rules.some(
    (rule) =>
      (rule.apiGroups ?? []).some((group: string) => group === '*' || group === attributes.group) &&
      (rule.resources ?? []).some((resource: string) => resource === '*' || resource === attributes.resource) &&
      (rule.verbs ?? []).some((verb: string) => verb === '*' || verb === attributes.verb),
  );
}

const LAYOUTS = ['deploy', 'deploy/base', 'deploy/overlays/host-network', 'deploy/overlays/deployment', 'deploy/overlays/default-class'];

describe('deploy/ manifests', () => {
  const rendered = new Map<string, Json[]>();

  before(async () => {
    for (const layout of LAYOUTS) rendered.set(layout, await render(layout));
  });

  test('every object of every layout is valid against the Kubernetes schemas', async () => {
    for (const [layout, objects] of rendered) {
      for (const object of objects) {
        const Model = await modelClass(object);
        assert.doesNotThrow(() => new Model(object).validate(), `${layout}: ${object.kind} ${object.metadata?.name}`);
        assert.ok(object.metadata?.name, `${layout}: ${object.kind} without a name`);
        const namespaced = !['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'IngressClass'].includes(object.kind);
        if (namespaced) assert.equal(object.metadata.namespace, 'portero-system', `${layout}: ${object.kind} ${object.metadata.name} namespace`);
      }
    }
  });

  test('the default layout has what a DaemonSet installation needs', () => {
    const objects = rendered.get('deploy')!;
    const kinds = new Set(objects.map((object) => object.kind));
    for (const kind of ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'IngressClass', 'DaemonSet', 'Service']) assert.ok(kinds.has(kind), `no ${kind}`);
    const ingressClass = objects.find((object) => object.kind === 'IngressClass')!;
    assert.equal(ingressClass.spec.controller, 'portero.dev/ingress-controller');
    assert.equal(ingressClass.metadata.annotations['ingressclass.kubernetes.io/is-default-class'], 'false');
    const daemonSet = objects.find((object) => object.kind === 'DaemonSet')!;
    const pod = daemonSet.spec.template.spec;
    const container = pod.containers[0];
    assert.deepEqual(container.ports.filter((port: Json) => port.hostPort).map((port: Json) => port.hostPort).sort(), [443, 80]);
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
    assert.deepEqual(container.env.map((env: Json) => [env.name, env.valueFrom.fieldRef.fieldPath]), [['POD_NAME', 'metadata.name'], ['POD_NAMESPACE', 'metadata.namespace']]);
    assert.ok(pod.terminationGracePeriodSeconds >= 30);
    assert.equal(pod.serviceAccountName, 'portero');
    const volumes = container.volumeMounts.map((mount: Json) => mount.mountPath);
    assert.ok(volumes.includes('/var/lib/portero') && volumes.includes('/tmp'), 'state and /tmp are writable volumes');
    const service = objects.find((object) => object.kind === 'Service')!;
    assert.deepEqual(service.spec.ports.map((port: Json) => port.port).sort(), [10254, 10255]);
  });

  test('the overlays change what they say', () => {
    const hostNetwork = rendered.get('deploy/overlays/host-network')!.find((object) => object.kind === 'DaemonSet')!.spec.template.spec;
    assert.equal(hostNetwork.hostNetwork, true);
    assert.equal(hostNetwork.dnsPolicy, 'ClusterFirstWithHostNet');
    assert.ok(hostNetwork.containers[0].args.includes('--http-port=80'));
    const deployment = rendered.get('deploy/overlays/deployment')!;
    assert.ok(!deployment.some((object) => object.kind === 'DaemonSet'));
    assert.ok(deployment.find((object) => object.kind === 'Deployment')!.spec.template.spec.containers[0].args.includes('--publish-service=portero-system/portero'));
    assert.equal(deployment.find((object) => object.kind === 'Service' && object.spec.type === 'LoadBalancer')?.metadata.name, 'portero');
    const defaultClass = rendered.get('deploy/overlays/default-class')!.find((object) => object.kind === 'IngressClass')!;
    assert.equal(defaultClass.metadata.annotations['ingressclass.kubernetes.io/is-default-class'], 'true');
  });

  test('the RBAC rules allow every API call declared in src/kube/permissions.ts', () => {
    const objects = rendered.get('deploy')!;
    const clusterRules = objects.find((object) => object.kind === 'ClusterRole')!.rules as Json[];
    const roleRules = objects.find((object) => object.kind === 'Role')!.rules as Json[];
    for (const permission of PERMISSIONS) {
      for (const verb of permission.verbs) {
        const attributes = { verb, group: permission.group, resource: permission.resource, namespace: permission.scope === 'cluster' ? '' : 'portero-system' };
        assert.ok(rulesAllow(permission.scope === 'cluster' ? clusterRules : roleRules, attributes), `${verb} ${permission.group}/${permission.resource} (${permission.why})`);
      }
    }
  });
});

describe('RBAC against what Portero actually asks the API', () => {
  let api: KubeApiServer;
  let portero: Portero;

  before(async () => {
    api = await startApi();
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'portero-system' } });
    api.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } });
    api.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'portero-a', namespace: 'portero-system', labels: { app: 'portero' } }, spec: { nodeName: 'node-a', containers: [{ name: 'p', image: 'p' }] } });
    for (const object of [
      ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.1', port: 9 }] }),
      ingress({ name: 'ok', rules: [{ host: 'ok.test', paths: [{ service: 'app' }] }] }),
      ingress({ name: 'bad', rules: [{ host: 'bad.test', paths: [{ path: '/a b', pathType: 'ImplementationSpecific', service: 'app' }] }] }),
      gatewayClass('portero'),
      gateway('gw'),
      httpRoute('web'),
    ]) api.apply(object);
    // The first status write meets a conflict, so Portero re-reads the Ingress.
    api.failNextRequests(1, 409, { method: 'PATCH', pathIncludes: '/status' });
    portero = await startPortero({ kube: { kubeconfig: await kubeconfigFile(api) }, flags: ['--status-refresh-interval', '200ms'], env: { POD_NAMESPACE: 'portero-system', POD_NAME: 'portero-a' } });
    await eventually(() => assert.equal(api.get('networking.k8s.io/v1', 'Ingress', 'default', 'ok')?.status?.loadBalancer?.ingress?.[0]?.ip, '10.0.0.1'));
    await eventually(() => assert.ok(api.requests.some((entry) => entry.resource === 'events' && entry.verb === 'create')));
  });

  after(async () => {
    await portero?.dispose();
    await api?.close();
  });

  test('every request Portero made is allowed by the rendered RBAC, and declared', async () => {
    const objects = await render('deploy');
    const clusterRules = objects.find((object) => object.kind === 'ClusterRole')!.rules as Json[];
    const roleRules = objects.find((object) => object.kind === 'Role')!.rules as Json[];
    const seen = new Set<string>();
    for (const entry of api.requests.filter((request) => request.verb !== 'discovery')) {
      const query = new URLSearchParams(entry.query).toString();
      const attributes = requestAttributes(entry.method, `${entry.path}${query ? `?${query}` : ''}`)!;
      seen.add(`${attributes.verb} ${attributes.group}/${attributes.resource}`);
      const allowed = rulesAllow(clusterRules, attributes) || (attributes.namespace === 'portero-system' && rulesAllow(roleRules, attributes));
      assert.ok(allowed, `RBAC does not allow ${attributes.verb} ${attributes.group}/${attributes.resource} in "${attributes.namespace}" (${entry.method} ${entry.path})`);
      assert.ok(permissionFor(attributes, 'portero-system'), `not declared in permissions.ts: ${entry.method} ${entry.path}`);
    }
    for (const expected of ['watch networking.k8s.io/ingresses', 'list /secrets', 'watch /namespaces', 'list gateway.networking.k8s.io/gateways', 'watch gateway.networking.k8s.io/httproutes', 'watch gateway.networking.k8s.io/referencegrants', 'patch networking.k8s.io/ingresses/status', 'get networking.k8s.io/ingresses', 'create /events', 'get coordination.k8s.io/leases', 'get /pods', 'list /pods', 'get /nodes']) {
      assert.ok(seen.has(expected), `the run did not exercise ${expected}: ${[...seen].join(', ')}`);
    }
    assert.ok(!portero.logs.some((line) => line.includes('not declared in src/kube/permissions.ts')));
  });
});

describe('container image', () => {
  test('every file the Dockerfile copies exists, and the image runs as a non-root user under tini', async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    for (const match of dockerfile.matchAll(/^COPY (?!--from)(.+) (\S+)$/gm)) {
      for (const source of match[1]!.split(/\s+/)) assert.ok(existsSync(join(ROOT, source)), `COPY ${source}: missing`);
    }
    assert.match(dockerfile, /^USER 10001/m);
    assert.match(dockerfile, /^ENTRYPOINT \["\/usr\/bin\/tini", "--"/m);
    assert.match(dockerfile, /apt-get install .*haproxy/);
    assert.match(dockerfile, /^FROM \$\{NODE_IMAGE\} AS build$/m);
    const ignored = await readFile(join(ROOT, '.dockerignore'), 'utf8');
    for (const needed of ['src', 'bin', 'docker', 'package.json', 'package-lock.json', 'tsconfig.json']) assert.ok(!ignored.split('\n').includes(needed), `.dockerignore leaves out ${needed}`);
  });

  test('the entrypoint adds the state directory unless given one, and replaces itself with Portero', async () => {
    const fake = await mkdtemp(join(tmpdir(), 'portero-entrypoint-'));
    await writeFile(join(fake, 'node'), '#!/bin/sh\necho "$@"\n');
    await chmod(join(fake, 'node'), 0o755);
    const env = { ...process.env, PATH: `${fake}:${process.env.PATH}` };
    const entrypoint = join(ROOT, 'docker', 'entrypoint.sh');
    assert.equal((await run('sh', [entrypoint, '--http-port', '8080'], { env })).stdout.trim(), '/app/bin/portero --state-dir /var/lib/portero/state --http-port 8080');
    assert.equal((await run('sh', [entrypoint, '--state-dir', '/data'], { env })).stdout.trim(), '/app/bin/portero --state-dir /data');
    assert.match(await readFile(entrypoint, 'utf8'), /exec node/);
  });
});
