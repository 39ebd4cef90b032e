// ingress-nginx's own e2e cases for snippets (test/e2e/annotations/snippet.go
// and serversnippet.go of kubernetes/ingress-nginx) with
// --allow-snippet-annotations, ported to real HAProxy and real requests. The
// cases without the flag are in nginx-backends.test.ts.
//
// Upstream's snippets use nginx variables ($req_id, $content_length,
// $content_type), which Portero's parsed subset refuses (docs/annotations.md,
// Snippets: values may not hold nginx variables): the upstream Ingresses are
// refused with a diagnostic naming the annotation, and the same directives
// with literal values act as nginx's would.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBackend, type Backend } from '../../helpers/backends.js';
import { request } from '../../helpers/http.js';
import { ingress, ingressClass, serviceWithEndpoints, type Json, type PathSpec } from '../../helpers/objects.js';
import { startPortero, type Portero } from '../../helpers/portero.js';

const A = 'nginx.ingress.kubernetes.io';

function on(name: string, host: string, annotations: Record<string, string>, paths = ['/']): Json {
  return ingress({ name, className: 'nginx', annotations, rules: [{ host, paths: paths.map((path): PathSpec => ({ path, pathType: 'Prefix', service: 'echo' })) }] });
}

describe('ingress-nginx e2e snippet.go and serversnippet.go (--allow-snippet-annotations)', () => {
  let portero: Portero;
  let echo: Backend;

  before(async () => {
    echo = await startBackend('echo');
    portero = await startPortero({
      flags: ['--ingress-class', 'nginx', '--controller-class', 'k8s.io/ingress-nginx', '--allow-snippet-annotations'],
      files: {
        'class.yaml': [ingressClass('nginx', 'k8s.io/ingress-nginx')],
        'echo.yaml': serviceWithEndpoints({ name: 'echo', endpoints: [echo] }),
        'ingresses.yaml': [
          on('configurationsnippet', 'configurationsnippet.foo.com', { [`${A}/configuration-snippet`]: '\n\t\t\t\tmore_set_headers "Request-Id: $req_id";' }),
          on('configurationsnippet-literal', 'configurationsnippet-literal.foo.com', { [`${A}/configuration-snippet`]: '\n\t\t\t\tmore_set_headers "Request-Id: 8f2c1a";' }, ['/', '/other']),
          on('serversnippet', 'serversnippet.foo.com', {
            [`${A}/server-snippet`]: '\n\t\t\t\tmore_set_headers "Content-Length: $content_length";\n\t\t\t\tmore_set_headers "Content-Type: $content_type";',
          }),
          on('serversnippet-literal', 'serversnippet-literal.foo.com', {
            [`${A}/server-snippet`]: '\n\t\t\t\tmore_set_headers "Content-Type: text/plain";\n\t\t\t\tmore_set_headers "X-Server-Snippet: on";',
          }),
        ],
      },
    });
  });

  after(async () => {
    await portero?.dispose();
    await echo?.close();
  });

  const get = (host: string, path = '/') => request({ port: portero.httpPort, host, path });
  const errorFor = (ingressName: string, annotation: string) =>
    portero.waitForLog((line) => line.object === `Ingress default/${ingressName}` && line.field === `metadata.annotations["${A}/${annotation}"]` && line.level === 'error');

  test('snippet.go: set snippet "more_set_headers "Request-Id: $req_id";" in all locations', async () => {
    // Deliberate difference: $req_id is an nginx variable, refused by the parsed subset.
    const entry = await errorFor('configurationsnippet', 'configuration-snippet');
    assert.match(String(entry.msg), /more_set_headers: the value of Request-Id must be .*without .*nginx variables/);
    assert.equal((await get('configurationsnippet.foo.com')).status, 404);
    // The same directive with a literal value is set in every location of the Ingress.
    for (const path of ['/', '/other/x']) {
      const response = await get('configurationsnippet-literal.foo.com', path);
      assert.equal(response.status, 200);
      assert.equal(response.echo?.name, 'echo');
      assert.equal(response.headers['request-id'], '8f2c1a');
    }
  });

  test('serversnippet.go: add valid directives to server via server snippet', async () => {
    // Deliberate difference, as above: $content_length and $content_type are refused.
    const entry = await errorFor('serversnippet', 'server-snippet');
    assert.match(String(entry.msg), /more_set_headers: the value of Content-Length must be .*without .*nginx variables/);
    assert.equal((await get('serversnippet.foo.com')).status, 404);
    const response = await get('serversnippet-literal.foo.com', '/page');
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'text/plain');
    assert.equal(response.headers['x-server-snippet'], 'on');
    assert.equal(response.echo?.name, 'echo');
    assert.equal(response.echo?.url, '/page');
  });
});
