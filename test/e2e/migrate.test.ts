// `bin/portero migrate`, run as a user runs it: on a directory of Ingresses
// shaped like a real ingress-nginx cluster's (test/fixtures/ingress-nginx),
// in text and JSON, and against the Kubernetes API test server with a
// kubeconfig; exit statuses, usage errors included.
//
// Annotation statuses are checked against SUPPORT rather than written out,
// so annotation groups added later (rewrite-target, canaries, CORS, ...)
// keep this test true; what does not depend on them is checked exactly.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadAll } from 'js-yaml';
import type { KubeApiServer } from '../kube-api-server/server.js';
import { SUPPORT } from '../../src/translate/annotations/index.js';
import type { Report } from '../../src/cli/migrate/report.js';
import { kubeconfigFile, startApi, tempDir } from '../helpers/kube.js';
import { BIN, ROOT } from '../helpers/portero.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'ingress-nginx');
const CONFIGMAP = 'ingress-nginx/ingress-nginx-controller';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function portero(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, KUBECONFIG: '', ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function ingressOf(report: Report, key: string) {
  const found = report.ingresses.find((entry) => `${entry.namespace}/${entry.name}` === key);
  assert.ok(found, `${key} is not in the report`);
  return found;
}

function status(report: Report, key: string, annotation: string) {
  return ingressOf(report, key).annotations.find((entry) => entry.name === annotation);
}

/** The fixtures' objects, one by one (Lists expanded), for the API server. */
async function fixtureObjects(): Promise<Record<string, any>[]> {
  const objects: Record<string, any>[] = [];
  for (const file of (await readdir(FIXTURES)).filter((name) => name.endsWith('.yaml')).sort()) {
    for (const document of loadAll(await readFile(join(FIXTURES, file), 'utf8')) as Record<string, any>[]) {
      if (!document) continue;
      objects.push(...(document.kind === 'List' ? document.items : [document]));
    }
  }
  return objects;
}

describe('portero migrate --manifests on a real-world-shaped cluster', () => {
  let json: Report;
  let text: Run;

  before(async () => {
    const run = await portero(['migrate', '--manifests', FIXTURES, '--configmap', CONFIGMAP, '-o', 'json']);
    assert.equal(run.code, 1, run.stderr);
    json = JSON.parse(run.stdout) as Report;
    text = await portero(['migrate', '--manifests', FIXTURES, '--configmap', CONFIGMAP]);
  });

  test("reports every Ingress of class nginx (by name or the legacy annotation), none of Traefik's", () => {
    assert.deepEqual(json.summary.ingresses.total, 16);
    assert.equal(json.summary.ingresses.otherClass, 1);
    assert.ok(!json.ingresses.some((entry) => entry.name === 'whoami'));
    assert.deepEqual(ingressOf(json, 'legacy/blog').class, { source: 'annotation', name: 'nginx' });
    assert.deepEqual(ingressOf(json, 'shop/storefront').class, { source: 'ingressClassName', name: 'nginx' });
    const names = json.ingresses.map((entry) => `${entry.namespace}/${entry.name}`);
    assert.deepEqual(names, [...names].sort());
  });

  test('every annotation gets the status SUPPORT gives it, or refused with a message; other prefixes are left out', () => {
    for (const ingress of json.ingresses) {
      for (const entry of ingress.annotations) {
        assert.ok(entry.key.startsWith('nginx.ingress.kubernetes.io/'), entry.key);
        if (entry.status === 'refused') assert.ok(entry.message, entry.key);
        else assert.equal(entry.status, SUPPORT[entry.name]?.status ?? 'unknown', `${ingress.namespace}/${ingress.name} ${entry.key}`);
        if (entry.status === 'difference' || entry.status === 'ignored') assert.equal(entry.note, SUPPORT[entry.name]?.note);
      }
    }
    const total = Object.values(json.summary.annotations).reduce((a, b) => a + b, 0);
    assert.equal(total, json.ingresses.reduce((sum, entry) => sum + entry.annotations.length, 0));
  });

  test('no annotations, or only supported ones: served the same', () => {
    assert.equal(ingressOf(json, 'default/hello').verdict, 'same');
    assert.equal(ingressOf(json, 'monitoring/oauth2-proxy').verdict, 'same');
    assert.equal(status(json, 'internal/admin', 'whitelist-source-range')?.status, 'supported');
    assert.equal(ingressOf(json, 'internal/admin').verdict, 'same');
  });

  test('a snippet without --allow-snippet-annotations: refused, the Ingress is not served', () => {
    const entry = status(json, 'legacy/blog', 'configuration-snippet')!;
    assert.equal(entry.status, 'refused');
    assert.equal(entry.effect, 'not-served');
    assert.match(entry.message!, /Snippet directives are disabled/);
    assert.equal(ingressOf(json, 'legacy/blog').verdict, 'not-served');
  });

  test('an invalid allowlist fails closed: served, 503', () => {
    assert.deepEqual(
      { ...status(json, 'internal/metrics', 'whitelist-source-range'), message: undefined },
      { name: 'whitelist-source-range', key: 'nginx.ingress.kubernetes.io/whitelist-source-range', value: '10.0.0.0/33', status: 'refused', effect: 'fails-closed', message: undefined },
    );
    assert.equal(ingressOf(json, 'internal/metrics').verdict, 'different');
  });

  test('a regex path with capture groups and a rewrite is served (use-regex, rewrite-target supported)', () => {
    const api = ingressOf(json, 'shop/api');
    assert.notEqual(api.verdict, 'not-served');
    assert.ok(!api.diagnostics.some((d) => d.severity === 'error'));
    assert.equal(api.annotations.find((a) => a.name === 'rewrite-target')?.status, 'supported');
  });

  test('global differences: listed once; the ConfigMap sets proxy-body-size, so no default-body-size', () => {
    assert.deepEqual(
      json.globalDifferences.map((d) => d.id),
      ['hsts', 'ssl-redirect-trailing-slash', 'header-size', 'implementation-specific-paths'],
    );
    assert.equal(json.globalDifferences.find((d) => d.id === 'implementation-specific-paths')!.ingresses, 3);
    assert.equal(text.stdout.match(/^ {2}- hsts /gm)?.length, 1);
  });

  test('the ConfigMap: its keys, each classified', () => {
    assert.equal(json.configMap?.found, true);
    assert.deepEqual(
      json.configMap?.keys.map((key) => [key.key, key.status]),
      [
        ['allow-snippet-annotations', 'supported'],
        ['enable-underscores-in-headers', 'unknown'],
        ['hsts', 'supported'],
        ['proxy-body-size', 'difference'],
        ['ssl-protocols', 'difference'],
        ['ssl-redirect', 'supported'],
        ['use-forwarded-headers', 'supported'],
      ],
    );
  });

  test('the text report says the same as the JSON, with a summary; exit 1', () => {
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^Migration report: manifests in /);
    assert.match(text.stdout, /^Ingress legacy\/blog \(class nginx \(kubernetes\.io\/ingress\.class annotation\)\): NOT SERVED$/m);
    assert.match(text.stdout, /^Ingress default\/hello \(class nginx\): served the same$/m);
    assert.match(text.stdout, /^ {4}refused +whitelist-source-range: "10\.0\.0\.0\/33"\n.*\(its paths answer 503\)$/m);
    assert.match(text.stdout, /^ {4}error +spec\.rules\[0\]\.http\.paths\[0\]\.path: Invalid value: "\/api\(\/\|\$\)\(\.\*\)"/m);
    assert.match(text.stdout, /^ConfigMap ingress-nginx\/ingress-nginx-controller:$/m);
    const { ingresses, annotations } = json.summary;
    assert.ok(text.stdout.includes(`  Ingresses: ${ingresses.total} (${ingresses.same} served the same, ${ingresses.different} served with differences, ${ingresses.notServed} not served); 1 of other classes not reported`));
    assert.ok(text.stdout.includes(`  Annotations: ${annotations.supported} supported, ${annotations.difference} supported with a difference, ${annotations.ignored} ignored, ${annotations.refused} refused, ${annotations.unknown} unknown`));
    for (const ingress of json.ingresses) for (const entry of ingress.annotations) assert.ok(text.stdout.includes(` ${entry.name}: ${JSON.stringify(entry.value)}`), entry.key);
  });

  test('--allow-snippet-annotations and --ingress-class change the report as they change the controller', async () => {
    const allowed = JSON.parse((await portero(['migrate', '--manifests', FIXTURES, '-o', 'json', '--allow-snippet-annotations'])).stdout) as Report;
    assert.equal(allowed.settings.allowSnippetAnnotations, true);
    assert.doesNotMatch(status(allowed, 'legacy/blog', 'configuration-snippet')?.message ?? '', /disabled by the Ingress administrator/);
    const traefik = JSON.parse((await portero(['migrate', '--manifests', FIXTURES, '-o', 'json', '--ingress-class', 'traefik', '--controller-class', 'traefik.io/ingress-controller'])).stdout) as Report;
    assert.deepEqual(traefik.ingresses.map((entry) => entry.name), ['whoami']);
    assert.equal(traefik.exitCode, 0);
  });
});

describe('exit status', () => {
  let clean: string;
  before(async () => {
    clean = await tempDir('portero-migrate-clean-');
    await mkdir(join(clean, 'sub'));
    for (const file of ['00-ingressclass.yaml', 'default.yaml', 'services.yaml']) await copyFile(join(FIXTURES, file), join(clean, 'sub', file));
  });
  after(async () => {
    await rm(clean, { recursive: true, force: true });
  });

  test('0 when every Ingress is served the same', async () => {
    const run = await portero(['migrate', '--manifests', clean]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^Ingress default\/hello \(class nginx\): served the same$/m);
    assert.match(run.stdout, /Portero would serve every Ingress as ingress-nginx does/);
  });

  test('1 when the ConfigMap asked for is not there', async () => {
    const run = await portero(['migrate', '--manifests', clean, '--configmap', CONFIGMAP, '-o', 'json']);
    assert.equal(run.code, 1);
    assert.deepEqual((JSON.parse(run.stdout) as Report).configMap, { namespace: 'ingress-nginx', name: 'ingress-nginx-controller', found: false, keys: [] });
  });

  test('1, with the file and line, when an object cannot be read; the rest is still reported', async () => {
    const broken = await tempDir('portero-migrate-broken-');
    try {
      await copyFile(join(FIXTURES, 'default.yaml'), join(broken, 'default.yaml'));
      await writeFile(join(broken, 'broken.yaml'), 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: x\n  bad: [\n');
      const run = await portero(['migrate', '--manifests', broken, '-o', 'json']);
      assert.equal(run.code, 1);
      const report = JSON.parse(run.stdout) as Report;
      assert.deepEqual(report.ingresses.map((entry) => [entry.name, entry.verdict]), [['hello', 'same']]);
      assert.equal(report.inputProblems.length, 1);
      assert.equal(report.inputProblems[0]!.source, join(broken, 'broken.yaml'));
      assert.equal(typeof report.inputProblems[0]!.line, 'number');
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  test('2 for usage errors, with a message on stderr and no report', async () => {
    const cases: [string[], RegExp][] = [
      [['migrate', '--manifests', clean, '--kubeconfig', '/nonexistent'], /either --manifests or --kubeconfig/],
      [['migrate', '--manifests', clean, '-o', 'yaml'], /--output/],
      [['migrate', '--manifests', join(clean, 'missing')], /not a directory/],
      [['migrate', '--manifests', clean, '--no-such-flag'], /--no-such-flag/],
      [['migrate', '--manifests', clean, '--configmap', 'no-slash'], /--configmap/],
      [['migrate', '--manifests', clean, '--ingress-class', 'Not_A_Name'], /--ingress-class/],
      [['migrate', '--kubeconfig', join(clean, 'missing-kubeconfig')], /Kubernetes API/],
    ];
    for (const [args, message] of cases) {
      const run = await portero(args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
      assert.equal(run.stdout, '', args.join(' '));
    }
  });

  test('--help: 0, every flag; the main --help names the command', async () => {
    const help = await portero(['migrate', '--help']);
    assert.equal(help.code, 0);
    for (const flag of ['--manifests', '--kubeconfig', '--ingress-class', '--controller-class', '--annotations-prefix', '--allow-snippet-annotations', '--configmap', '--output']) assert.ok(help.stdout.includes(flag), flag);
    const main = await portero(['--help']);
    assert.equal(main.code, 0);
    assert.match(main.stdout, /portero migrate/);
  });
});

describe('portero migrate --kubeconfig against the API', () => {
  let api: KubeApiServer;
  let kubeconfig: string;

  before(async () => {
    api = await startApi();
    const objects = await fixtureObjects();
    const namespaces = new Set(objects.map((object) => object.metadata.namespace).filter((namespace): namespace is string => typeof namespace === 'string' && namespace !== 'default'));
    for (const name of namespaces) api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    for (const object of objects) api.apply(object);
    kubeconfig = await kubeconfigFile(api);
  });
  after(async () => {
    await api?.close();
  });

  test('the same report as from the files the objects came from', async () => {
    const fromApi = await portero(['migrate', '--kubeconfig', kubeconfig, '--configmap', CONFIGMAP, '-o', 'json']);
    const fromFiles = await portero(['migrate', '--manifests', FIXTURES, '--configmap', CONFIGMAP, '-o', 'json']);
    assert.equal(fromApi.code, 1, fromApi.stderr);
    const a = JSON.parse(fromApi.stdout) as Report;
    const b = JSON.parse(fromFiles.stdout) as Report;
    assert.deepEqual(a.source, { kubeconfig });
    const shape = (report: Report) => report.ingresses.map(({ namespace, name, class: cls, verdict, annotations }) => ({ namespace, name, cls, verdict, annotations }));
    assert.deepEqual(shape(a), shape(b));
    assert.deepEqual(a.configMap, b.configMap);
    assert.deepEqual(a.summary, b.summary);
    assert.deepEqual(a.globalDifferences, b.globalDifferences);
    assert.deepEqual(a.inputProblems, []);
  });

  test('$KUBECONFIG when no flag names the source', async () => {
    const run = await portero(['migrate', '-o', 'json'], { KUBECONFIG: kubeconfig });
    assert.equal(run.code, 1, run.stderr);
    assert.equal((JSON.parse(run.stdout) as Report).summary.ingresses.total, 16);
  });

  test('an API that cannot be reached: exit 2', async () => {
    const closed = await startApi();
    const config = await kubeconfigFile(closed);
    await closed.close();
    const run = await portero(['migrate', '--kubeconfig', config]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot read from the Kubernetes API/);
  });
});
