// render: the config-line grammar refuses anything unsafe; the maps, crt-list
// and haproxy.cfg for a model are what the routing scheme needs; and HAProxy
// itself accepts the rendered configuration.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import * as c from '../../src/dataplane/haproxy/config-lines.js';
import { writeDirectoryAtomic, writeFileAtomic } from '../../src/dataplane/haproxy/files.js';
import { renderConfig } from '../../src/dataplane/haproxy/render-config.js';
import { mapContents, renderFiles } from '../../src/dataplane/haproxy/render-files.js';
import { BackendNames, structureFor } from '../../src/dataplane/haproxy/structure.js';
import type { Model } from '../../src/model/model.js';
import { generateSelfSigned } from '../../src/tls/default-certificate.js';
import { inspectKeyPair } from '../../src/tls/inspect.js';

const run = promisify(execFile);

describe('config-lines refuses unsafe values', () => {
  const refused: [string, () => unknown][] = [
    ['identifier with a space', () => c.ident('a b')],
    ['identifier with a newline', () => c.ident('a\nb')],
    ['identifier with #', () => c.ident('a#b')],
    ['empty identifier', () => c.ident('')],
    ['address that is a host name', () => c.address('localhost', 80)],
    ['address with a newline', () => c.address('10.0.0.1\n', 80)],
    ['port 0', () => c.port(0)],
    ['port 65536', () => c.port(65536)],
    ['relative file path', () => c.filePath('state/x.map')],
    ['file path with ..', () => c.filePath('/state/../etc/passwd')],
    ['file path with a space', () => c.filePath('/state dir/x')],
    ['duration with text', () => c.duration('5m; global')],
    ['quoted string with a quote', () => c.quoted('a"b')],
    ['map key with a space', () => c.mapKey('a.test/a b')],
    ['map key with a tab', () => c.mapKey('a.test/a\tb')],
    ['map key starting with #', () => c.mapKey('#a')],
    ['map key with a backslash', () => c.mapKey('a\\b')],
    ['map key with non-ASCII', () => c.mapKey('a.test/é')],
    ['host name with uppercase', () => c.hostName('A.test')],
    ['host name with an inner *', () => c.hostName('a.*.test')],
    ['a line that would break in two', () => c.line`x ${c.ident('a')}\ny`],
  ];
  for (const [title, call] of refused) {
    test(title, () => assert.throws(call, c.UnsafeValueError));
  }
  test('safe values render as written', () => {
    assert.equal(c.line`server ${c.ident('10.0.0.1_80')} ${c.address('10.0.0.1', 80)}`, 'server 10.0.0.1_80 10.0.0.1:80');
    assert.equal(c.address('fd00::1', 8080).text, '[fd00::1]:8080');
    assert.equal(c.mapFile([{ key: 'a.test/x/', value: c.ident('be') }]), 'a.test/x/ be\n');
    assert.equal(c.crtList([{ file: '/s/default.pem', sni: [] }, { file: '/s/a.pem', sni: ['a.test', '*.b.test'] }]), '/s/default.pem\n/s/a.pem a.test *.b.test\n');
  });
});

function sampleModel(pem: string): Model {
  return {
    levels: [
      { host: '', routes: [{ match: 'prefix', path: '/public', target: { kind: 'backend', id: 'default_web_80' } }], fallback: { kind: 'not-found' } },
      { host: '*.example.com', routes: [{ match: 'prefix', path: '', target: { kind: 'backend', id: 'default_web_80' } }], fallback: { kind: 'not-found' } },
      {
        host: 'a.example.com',
        routes: [
          { match: 'exact', path: '/foo', target: { kind: 'backend', id: 'default_api_8080' } },
          { match: 'prefix', path: '/foo', target: { kind: 'unavailable' } },
        ],
        fallback: { kind: 'backend', id: 'default_web_80' },
      },
    ],
    backends: [
      { id: 'default_api_8080', namespace: 'default', service: 'api', port: 8080, endpoints: [{ address: '10.0.0.1', port: 8080 }, { address: 'fd00::2', port: 8080 }] },
      { id: 'default_web_80', namespace: 'default', service: 'web', port: 80, endpoints: [] },
    ],
    catchAll: { kind: 'not-found' },
    defaultCertificate: { id: 'default', pem, hosts: [] },
    certificates: [{ id: 'default_a', pem, hosts: ['*.example.com', 'a.example.com'] }],
    redirectHosts: ['*.example.com', 'a.example.com'],
  };
}

describe('rendering a model', () => {
  let pem: string;
  let directory: string;

  before(async () => {
    const generated = await generateSelfSigned('test', ['a.example.com'], 30);
    const inspected = inspectKeyPair(generated.cert, generated.key);
    assert.ok(inspected.ok);
    pem = inspected.info.pem;
    directory = await mkdtemp(join(tmpdir(), 'portero-render-'));
  });

  after(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const settings = { stateDir: '/s', adminSocket: '/s/admin.sock', bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, hardStopAfter: '5m', maxReloads: 8 };
  const namesFor = (model: Model) => new BackendNames(structureFor(model));

  test('maps hold one line per route, keyed by level and path, with each level\'s fallback', () => {
    const maps = mapContents(sampleModel('PEM'));
    const lines = (entries: c.MapEntry[]) => entries.map((entry) => `${entry.key} ${entry.value.text}`);
    assert.deepEqual(lines(maps.hosts), ['*.example.com *.example.com', '*.example.com. *.example.com', 'a.example.com a.example.com', 'a.example.com. a.example.com']);
    assert.deepEqual(lines(maps.exact), ['a.example.com/foo default_api_8080']);
    assert.deepEqual(lines(maps.prefix), ['*.example.com/ default_web_80', '_/ portero:not-found', '_/public/ default_web_80', 'a.example.com/ default_web_80', 'a.example.com/foo/ portero:unavailable']);
    assert.deepEqual(lines(maps.redirect), ['*.example.com 1', '*.example.com. 1', 'a.example.com 1', 'a.example.com. 1']);
  });

  test('the catch-all answers the host-less level when no host-less rule exists', () => {
    const model = { ...sampleModel('PEM'), levels: [], catchAll: { kind: 'backend', id: 'infra_fallback_80' } as const };
    assert.deepEqual(mapContents(model).prefix.map((entry) => `${entry.key} ${entry.value.text}`), ['_/ infra_fallback_80']);
  });

  test('backends without a section or spare answer 503; spares carry the backends given to them', () => {
    const model = sampleModel('PEM');
    const structure = { ...structureFor({ ...model, backends: [] }), spares: 2 };
    const assigned = new BackendNames(structure).assign(model.backends.filter((backend) => backend.id === 'default_api_8080'), 0);
    assert.ok('names' in assigned);
    const prefix = mapContents(model, assigned.names).prefix.map((entry) => `${entry.key} ${entry.value.text}`);
    assert.ok(prefix.includes('a.example.com/ portero:unavailable'), 'default_web_80 has neither section nor spare');
    const config = renderConfig(model, settings, '/s/gen-1', assigned.names);
    assert.match(config, /^backend portero:spare:0\n {2}balance roundrobin\n {2}server 10\.0\.0\.1_8080 10\.0\.0\.1:8080\n/m);
    assert.match(config, /^backend portero:spare:1\n {2}balance roundrobin\n?$/m);
    assert.equal(assigned.names.structure.backends.size, 0);
    const three = ['a', 'b', 'c'].map((name) => ({ ...model.backends[0]!, id: `default_${name}_80` }));
    assert.deepEqual(new BackendNames(structure).assign(three, 0), { reason: 'spares-exhausted', detail: 'the spare backends for new Services are used up' }, 'no spare left');
  });

  test('keys are written 0600, everything else 0644', () => {
    const files = renderFiles(sampleModel('PEM'), '/state/gen-1');
    for (const file of files) assert.equal(file.mode, file.path.endsWith('.pem') ? 0o600 : 0o644, file.path);
    assert.equal(files.find((file) => file.path === 'crt-list.txt')?.content, '/state/gen-1/certs/default.pem\n/state/gen-1/certs/default_a.pem *.example.com a.example.com\n');
  });

  test('the config routes through the maps and has one backend per Service port, plus spares', () => {
    const model = sampleModel('PEM');
    const config = renderConfig(model, settings, '/s/gen-1', namesFor(model));
    assert.match(config, /^frontend portero-http\n {2}bind 127\.0\.0\.1:8080\n/m);
    assert.match(config, /^frontend portero-https\n {2}bind 127\.0\.0\.1:8443 ssl crt-list \/s\/gen-1\/crt-list\.txt alpn h2,http\/1\.1$/m);
    assert.match(config, /^ {2}http-request set-header X-Forwarded-Proto https$/m);
    assert.match(config, /^ {2}http-request set-header X-Forwarded-Port 8443$/m);
    assert.match(config, /^ {2}option idle-close-on-response$/m);
    assert.match(config, /^ {2}hard-stop-after 5m$/m);
    assert.match(config, /map_beg\(\/s\/gen-1\/prefix\.map\)/);
    assert.match(config, /regsub\(\^\[\^\.\]\*,\*\),map_str\(\/s\/gen-1\/hosts\.map\)/);
    assert.match(config, /redirect code 308 location https:\/\/%\[req\.hdr\(host\),field\(1,:\),lower\]:8443%\[pathq\]/);
    assert.equal((config.match(/redirect code 308/g) ?? []).length, 2, 'redirects only on the HTTP frontend (exact and wildcard TLS hosts)');
    assert.match(config, /^backend default_api_8080\n {2}balance roundrobin\n {2}server 10\.0\.0\.1_8080 10\.0\.0\.1:8080\n {2}server fd00::2_8080 \[fd00::2\]:8080$/m);
    assert.equal((config.match(/^backend portero:spare:\d+$/gm) ?? []).length, 33);
  });

  test('lookups a configuration does not need are left out', () => {
    const plain: Model = { ...sampleModel('PEM'), levels: [{ host: 'a.test', routes: [{ match: 'prefix', path: '', target: { kind: 'not-found' } }], fallback: { kind: 'not-found' } }], redirectHosts: [], certificates: [] };
    const config = renderConfig(plain, { ...settings, bindAddress: '0.0.0.0', httpPort: 80, httpsPort: 443 }, '/s/gen-1', namesFor(plain));
    assert.doesNotMatch(config, /regsub\(\^\[\^\.\]\*,\*\)/);
    assert.doesNotMatch(config, /redirect/);
    assert.doesNotMatch(config, /exact\.map/);
    const frontend = config.slice(config.indexOf('frontend portero-http'), config.indexOf('frontend portero-https'));
    assert.equal((frontend.match(/^ {2}(http-request|use_backend|option forwardfor)/gm) ?? []).length, 20, 'five normalisation rules, three hygiene rules, eight forwarding rules (with X-Original-Forwarded-For and X-Scheme) and four routing rules');
  });

  test('HAProxy accepts the rendered configuration (haproxy -c)', async () => {
    const genDir = join(directory, 'gen-1');
    const model = sampleModel(pem);
    const names = new BackendNames(structureFor(model));
    await writeDirectoryAtomic(genDir, renderFiles(model, genDir, names));
    const configPath = join(directory, 'haproxy.cfg');
    await writeFileAtomic(configPath, renderConfig(model, { stateDir: directory, adminSocket: join(directory, 'admin.sock'), bindAddress: '127.0.0.1', httpPort: 8080, httpsPort: 8443, hardStopAfter: '5m', maxReloads: 8 }, genDir, names));
    const { stdout, stderr } = await run('haproxy', ['-c', '-f', configPath]);
    assert.match(stdout + stderr, /Configuration file is valid/);
  });
});
