// CORS, upstream headers, access log, retries and buffer annotations →
// features → backend rules, table by table: what each value gives, which
// values are refused (hostile ones included), and the rendered lines.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Features } from '../../src/model/features.js';
import { featureLines } from '../../src/dataplane/haproxy/render-features.js';
import { settingEntries } from '../../src/dataplane/haproxy/features/settings.js';
import { patternListFile, patternLists } from '../../src/dataplane/haproxy/features/source-lists.js';
import { SUPPORT } from '../../src/translate/annotations/index.js';
import { DEFAULT_CORS_HEADERS, DEFAULT_CORS_METHODS } from '../../src/translate/annotations/cors.js';
import { A, refusedTable, translateWith, validTable, type RefusedRow, type ValidRow } from '../helpers/annotations.js';

const on = { [`${A}/enable-cors`]: 'true' };
const corsDefaults = { methods: DEFAULT_CORS_METHODS, headers: DEFAULT_CORS_HEADERS, exposeHeaders: [], credentials: true, maxAgeSeconds: 1728000 };

const VALID: ValidRow[] = [
  ['enable-cors with ingress-nginx defaults', on, { cors: corsDefaults }],
  ['enable-cors false: nothing', { [`${A}/enable-cors`]: 'false', [`${A}/cors-allow-origin`]: 'https://a.test' }, undefined],
  ['cors values without enable-cors: nothing', { [`${A}/cors-max-age`]: '5' }, undefined],
  ['* anywhere in the origin list allows any origin', { ...on, [`${A}/cors-allow-origin`]: 'https://a.test, *' }, { cors: corsDefaults }],
  [
    'an origin list, lowercased, with a wildcard and a port',
    { ...on, [`${A}/cors-allow-origin`]: 'https://App.Example.com, https://*.example.org:8443 ,http://localhost:3000' },
    { cors: { ...corsDefaults, origins: ['https://app.example.com', 'https://*.example.org:8443', 'http://localhost:3000'] } },
  ],
  [
    'every cors value',
    {
      ...on,
      [`${A}/cors-allow-methods`]: 'GET, POST,put',
      [`${A}/cors-allow-headers`]: 'X-Custom, Content-Type,x_under',
      [`${A}/cors-expose-headers`]: 'X-Total, *',
      [`${A}/cors-allow-credentials`]: 'false',
      [`${A}/cors-max-age`]: '600',
    },
    {
      cors: {
        methods: ['GET', 'POST', 'put'],
        headers: ['X-Custom', 'Content-Type', 'x_under'],
        exposeHeaders: ['X-Total', '*'],
        credentials: false,
        maxAgeSeconds: 600,
        // Sent as written, as ingress-nginx does: `, ` where the annotation puts spaces after its commas.
        written: { methods: 'GET, POST, put', headers: 'X-Custom, Content-Type, x_under', exposeHeaders: 'X-Total, *' },
      },
    },
  ],
  [
    'lists without spaces are written without, duplicates kept as written, empty items dropped',
    { ...on, [`${A}/cors-allow-headers`]: 'DNT,X-A,,X-A', [`${A}/cors-allow-methods`]: 'GET' },
    { cors: { ...corsDefaults, methods: ['GET'], headers: ['DNT', 'X-A'], written: { methods: 'GET', headers: 'DNT,X-A,X-A' } } },
  ],
  ['an empty cors value counts as absent', { ...on, [`${A}/cors-allow-methods`]: ' ' }, { cors: corsDefaults }],
  ['upstream-vhost, lowercased', { [`${A}/upstream-vhost`]: 'Internal.Example.com:8080' }, { upstreamHost: 'internal.example.com:8080' }],
  ['x-forwarded-prefix is stored (rendered only with a rewrite)', { [`${A}/x-forwarded-prefix`]: '/api' }, { forwardedPrefix: '/api' }],
  ['connection-proxy-header', { [`${A}/connection-proxy-header`]: 'keep-alive,Upgrade' }, { connectionHeader: 'keep-alive, Upgrade' }],
  ['proxy-http-version 1.0 is accepted with no effect', { [`${A}/proxy-http-version`]: '1.0' }, undefined],
  ['proxy-http-version 1.1', { [`${A}/proxy-http-version`]: '1.1' }, undefined],
  ['enable-access-log false', { [`${A}/enable-access-log`]: 'false' }, { accessLogOff: true }],
  ['enable-access-log true: nothing', { [`${A}/enable-access-log`]: 'true' }, undefined],
  ['proxy-next-upstream with the default tries', { [`${A}/proxy-next-upstream`]: 'error timeout http_502' }, { nextUpstream: { on: ['error', 'timeout', 'http_502'], tries: 3, nonIdempotent: false } }],
  ['proxy-next-upstream-tries alone: error timeout', { [`${A}/proxy-next-upstream-tries`]: '5' }, { nextUpstream: { on: ['error', 'timeout'], tries: 5, nonIdempotent: false } }],
  ['proxy-next-upstream off', { [`${A}/proxy-next-upstream`]: 'off' }, { nextUpstream: { on: [], tries: 3, nonIdempotent: false } }],
  ['non_idempotent', { [`${A}/proxy-next-upstream`]: 'error non_idempotent' }, { nextUpstream: { on: ['error'], tries: 3, nonIdempotent: true } }],
  ['proxy-next-upstream-timeout is checked, not applied', { [`${A}/proxy-next-upstream-timeout`]: '30' }, undefined],
  [
    'buffer annotations are checked, not applied',
    {
      [`${A}/proxy-buffer-size`]: '16k',
      [`${A}/proxy-buffers-number`]: '8',
      [`${A}/proxy-buffering`]: 'on',
      [`${A}/proxy-request-buffering`]: 'off',
      [`${A}/client-body-buffer-size`]: '1m',
      [`${A}/proxy-max-temp-file-size`]: '0',
    },
    undefined,
  ],
];

const HOSTILE = ["a'b", 'a"b', 'a\nb', 'a\r\nbind :1', '%[src]', 'a b', '$host', 'x'.repeat(5000), 'a\\b', '#x'];

const REFUSED: RefusedRow[] = [
  ['enable-cors not a boolean', { [`${A}/enable-cors`]: 'yes' }, /must be true or false/],
  ['an origin without scheme (the only one)', { ...on, [`${A}/cors-allow-origin`]: 'example.com' }, /is not an origin/],
  ['an origin with a path', { ...on, [`${A}/cors-allow-origin`]: 'https://example.com/x' }, /is not an origin/],
  ['a wildcard in the middle', { ...on, [`${A}/cors-allow-origin`]: 'https://a.*.example.com' }, /is not an origin/],
  ['a bare wildcard host', { ...on, [`${A}/cors-allow-origin`]: 'https://*' }, /is not an origin/],
  ['a regex in an origin', { ...on, [`${A}/cors-allow-origin`]: 'https://(.*)' }, /is not an origin/],
  ['an origin port out of range', { ...on, [`${A}/cors-allow-origin`]: 'https://a.test:70000' }, /is not an origin/],
  ['an origin list of commas', { ...on, [`${A}/cors-allow-origin`]: ',,' }, /holds no origin/],
  ['bad values are refused even with enable-cors off', { [`${A}/cors-allow-methods`]: 'GET;rm' }, /is not a valid HTTP method/],
  ['a method with a digit', { ...on, [`${A}/cors-allow-methods`]: 'GET2' }, /is not a valid HTTP method/],
  ['headers too long once joined (they would not fit the rendered value)', { ...on, [`${A}/cors-allow-headers`]: Array.from({ length: 40 }, (_, i) => `X-${'h'.repeat(120)}-${i}`).join(',') }, /is longer than 4096 characters/],
  ['a header name with a colon', { ...on, [`${A}/cors-allow-headers`]: 'X-A: b' }, /is not a valid header name/],
  ['* in allow-headers', { ...on, [`${A}/cors-allow-headers`]: '*' }, /is not a valid header name/],
  ['a negative max-age', { ...on, [`${A}/cors-max-age`]: '-1' }, /between 0 and/],
  ['credentials not a boolean', { ...on, [`${A}/cors-allow-credentials`]: 'sure' }, /must be true or false/],
  ['upstream-vhost with an nginx variable', { [`${A}/upstream-vhost`]: '$host' }, /host name/],
  ['upstream-vhost with a path', { [`${A}/upstream-vhost`]: 'a.test/x' }, /host name/],
  ['upstream-vhost with a bad port', { [`${A}/upstream-vhost`]: 'a.test:0' }, /host name/],
  ['x-forwarded-prefix with a variable', { [`${A}/x-forwarded-prefix`]: '/$1' }, /must be a path/],
  ['connection-proxy-header with a space inside a token', { [`${A}/connection-proxy-header`]: 'keep alive' }, /list of tokens/],
  ['proxy-http-version 2', { [`${A}/proxy-http-version`]: '2.0' }, /must be 1.0 or 1.1/],
  ['enable-access-log not a boolean', { [`${A}/enable-access-log`]: 'no' }, /must be true or false/],
  ['an unknown proxy-next-upstream value', { [`${A}/proxy-next-upstream`]: 'error http_418' }, /"http_418" is not one of/],
  ['off with other values', { [`${A}/proxy-next-upstream`]: 'off error' }, /cannot be combined/],
  ['too many tries', { [`${A}/proxy-next-upstream-tries`]: '1000' }, /between 0 and 100/],
  ['a bad next-upstream timeout', { [`${A}/proxy-next-upstream-timeout`]: '5s' }, /whole number/],
  ['a bad proxy-buffer-size', { [`${A}/proxy-buffer-size`]: '4 k' }, /must be a size/],
  ['proxy-buffering not on/off', { [`${A}/proxy-buffering`]: 'true' }, /must be on or off/],
  ['proxy-buffers-number 0', { [`${A}/proxy-buffers-number`]: '0' }, /between 1 and 1024/],
  ...HOSTILE.flatMap((value): [string, Record<string, string>, RegExp][] => [
    [`hostile origin ${JSON.stringify(value.slice(0, 20))}`, { ...on, [`${A}/cors-allow-origin`]: `https://a.test${value}` }, /is not an origin|holds more than/],
    [`hostile method ${JSON.stringify(value.slice(0, 20))}`, { ...on, [`${A}/cors-allow-methods`]: `GET${value}` }, /is not a valid HTTP method/],
    [`hostile header ${JSON.stringify(value.slice(0, 20))}`, { ...on, [`${A}/cors-allow-headers`]: `X-A${value}` }, /is not a valid header name/],
    [`hostile expose header ${JSON.stringify(value.slice(0, 20))}`, { ...on, [`${A}/cors-expose-headers`]: `X-A${value}` }, /is not a valid header name/],
    [`hostile upstream-vhost ${JSON.stringify(value.slice(0, 20))}`, { [`${A}/upstream-vhost`]: `a.test${value}` }, /host name/],
    [`hostile x-forwarded-prefix ${JSON.stringify(value.slice(0, 20))}`, { [`${A}/x-forwarded-prefix`]: `/a${value}` }, /must be a path/],
    [`hostile connection-proxy-header ${JSON.stringify(value.slice(0, 20))}`, { [`${A}/connection-proxy-header`]: `close${value}` }, /list of tokens/],
  ]),
];

describe('CORS, upstream, access log, retry and buffer annotations → features', () => {
  validTable(VALID);
  refusedTable(REFUSED);

  test('support: buffers and the next-upstream timeout are ignored with a note; proxy-http-version is a difference', () => {
    for (const name of ['proxy-buffer-size', 'proxy-buffers-number', 'proxy-buffering', 'proxy-request-buffering', 'client-body-buffer-size', 'proxy-max-temp-file-size', 'proxy-next-upstream-timeout']) {
      assert.equal(SUPPORT[name]?.status, 'ignored', name);
      assert.ok(SUPPORT[name]?.note, name);
    }
    assert.equal(SUPPORT['proxy-http-version']?.status, 'difference');
    assert.equal(SUPPORT['enable-cors']?.status, 'supported');
  });

  test('an entry of cors-allow-origin that is not an origin is left out with a warning, as ingress-nginx skips it; the others are allowed', () => {
    const { model, diagnostics } = translateWith({ ...on, [`${A}/cors-allow-origin`]: 'origin.cors.com:8080, https://origin2.cors.com, https://Origin.com' });
    assert.deepEqual(model.backends.find((backend) => backend.service === 'app')?.features?.cors?.origins, ['https://origin2.cors.com', 'https://origin.com']);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]?.severity, 'warning');
    assert.equal(diagnostics[0]?.field, `metadata.annotations["${A}/cors-allow-origin"]`);
    assert.match(diagnostics[0]!.message, /"origin\.cors\.com:8080" is not an origin .* left out/);
  });
});
