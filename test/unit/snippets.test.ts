// The snippet subset: what parses into typed rules, what is refused (naming
// the directive), and the backend lines the rules become.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { snippetRequestLines, snippetResponseLines } from '../../src/dataplane/haproxy/features/snippet.js';
import { parseSnippet } from '../../src/translate/annotations/snippet-parser.js';
import { ingress, serviceWithEndpoints } from '../helpers/objects.js';
import { translateJson } from '../helpers/translate.js';

describe('parseSnippet', () => {
  const ACCEPTED: [string, string, unknown][] = [
    ['proxy_set_header with an empty value clears the header, as nginx (HAProxy cannot set an empty one)', 'proxy_set_header X-Team "";', { request: [{ name: 'X-Team' }], response: [], access: [] }],
    ['more_set_headers', 'more_set_headers "X-Frame-Options: DENY" "X-A: b c";', { request: [], response: [{ name: 'X-Frame-Options', value: 'DENY' }, { name: 'X-A', value: 'b c' }], access: [] }],
    ['add_header always', 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;', { request: [], response: [{ name: 'Strict-Transport-Security', value: 'max-age=31536000; includeSubDomains' }], access: [] }],
    ['clearing', "more_clear_headers 'Server' X-Powered-By; proxy_hide_header X-Debug;", { request: [], response: [{ name: 'Server' }, { name: 'X-Powered-By' }, { name: 'X-Debug' }], access: [] }],
    ['request headers', 'proxy_set_header X-Team payments;\nmore_set_input_headers "X-B: 1";\nmore_clear_input_headers Cookie;', { request: [{ name: 'X-Team', value: 'payments' }, { name: 'X-B', value: '1' }, { name: 'Cookie' }], response: [], access: [] }],
    ['allow and deny with a comment', '# only the office\nallow 10.0.0.0/8;\ndeny all;', { request: [], response: [], access: [{ allow: true, source: '10.0.0.0/8' }, { allow: false, source: 'all' }] }],
    ['return text', 'return 403 "no";', { request: [], response: [], access: [], answer: { code: 403, text: 'no' } }],
    ['return redirect', 'return 301 https://example.org/new;', { request: [], response: [], access: [], answer: { code: 301, location: 'https://example.org/new' } }],
    ['empty', '  \n# nothing\n', { request: [], response: [], access: [] }],
  ];
  for (const [title, text, rules] of ACCEPTED) test(`accepted: ${title}`, () => assert.deepEqual(parseSnippet(text), { ok: true, rules }));

  const REFUSED: [string, string, RegExp][] = [
    ['lua', 'content_by_lua_block { ngx.say(1) }', /blocks/],
    ['if', 'if ($host = a) { return 403; }', /blocks/],
    ['an unknown directive', 'proxy_pass http://evil;', /"proxy_pass" is not in the subset/],
    ['a variable in a value', 'more_set_headers "X-Host: $host";', /nginx variables/],
    ['a variable in a request header', 'proxy_set_header X-Real $remote_addr;', /nginx variables/],
    ['a missing semicolon', 'more_set_headers "X-A: b"', /not ended by ;/],
    ['an unclosed quote', 'more_set_headers "X-A: b;', /not closed/],
    ['more_set_headers options', 'more_set_headers -s 404 "X-A: b";', /options/],
    ['a bad header name', 'add_header "X A" b;', /not a header name/],
    ['a bad address', 'allow 10.0.0.0/33;', /one address/],
    ['a redirect without URL', 'return 302 /relative;', /absolute http/],
    ['a control byte', 'add_header X-A "b\u0001";', /printable/],
    ['a newline smuggled into a value', 'add_header X-A "b\nbind :1";', /printable/],
    ['two returns', 'return 403; return 404;', /only one return/],
  ];
  for (const [title, text, problem] of REFUSED) {
    test(`refused: ${title}`, () => {
      const result = parseSnippet(text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.problem, problem);
    });
  }
});

describe('snippet rules → backend lines', () => {
  test('answer, access in order, request and response headers', () => {
    const rules = {
      request: [{ name: 'X-Team', value: '50% off' }, { name: 'Cookie' }],
      response: [{ name: 'X-Frame-Options', value: 'DENY' }, { name: 'Server' }],
      access: [{ allow: true, source: '10.0.0.0/8' }, { allow: false, source: 'all' }],
      answer: { code: 403, text: 'go away' },
    };
    assert.deepEqual(snippetRequestLines(rules), [
      "  http-request return status 403 content-type text/plain string 'go away'",
      '  http-request set-var(txn.snippet_access) str(allow) if !{ var(txn.snippet_access) -m found } { src 10.0.0.0/8 }',
      '  http-request set-var(txn.snippet_access) str(deny) if !{ var(txn.snippet_access) -m found }',
      '  http-request deny deny_status 403 if { var(txn.snippet_access) -m str deny }',
      "  http-request set-header X-Team '50%% off'",
      '  http-request del-header Cookie',
    ]);
    assert.deepEqual(snippetResponseLines(rules), ["  http-response set-header X-Frame-Options 'DENY'", '  http-response del-header Server']);
  });
});

describe('snippet annotations and --allow-snippet-annotations', () => {
  const A = 'nginx.ingress.kubernetes.io';
  const objects = (annotations: Record<string, string>) => [
    ...serviceWithEndpoints({ name: 'app', endpoints: [{ address: '127.0.0.2', port: 8080 }] }),
    ingress({ name: 'web', annotations, rules: [{ host: 'a.test', paths: [{ service: 'app' }] }] }),
  ];
  const allowed = { annotations: { prefix: A, allowSnippets: true } };

  test('with the flag, a snippet in the subset becomes features', () => {
    const { model, diagnostics } = translateJson(objects({ [`${A}/configuration-snippet`]: 'more_set_headers "X-A: b";' }), allowed);
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    assert.deepEqual(model.backends[0]?.features?.snippet?.response, [{ name: 'X-A', value: 'b' }]);
  });

  test('with the flag, a directive outside the subset refuses the Ingress, naming it', () => {
    const { model, diagnostics } = translateJson(objects({ [`${A}/configuration-snippet`]: 'proxy_pass http://x;' }), allowed);
    assert.equal(model.levels.length, 0);
    assert.match(diagnostics.find((d) => d.severity === 'error')?.message ?? '', /"proxy_pass" is not in the subset/);
  });

  test('auth-snippet is refused even with the flag', () => {
    const { diagnostics } = translateJson(objects({ [`${A}/auth-snippet`]: 'more_set_headers "X-A: b";' }), allowed);
    assert.match(diagnostics.find((d) => d.severity === 'error')?.message ?? '', /not supported/);
  });
});
