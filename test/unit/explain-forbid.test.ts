// portero explain with ssl-forbid-http and force-ssl-forbid-http: plain HTTP
// answered 403 where the rules answer it (render-features.ts), nothing else.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeFeatures, type RequestFacts } from '../../src/explain/features.js';

const request = (scheme: 'http' | 'https', hostHeader: string, pathWithQuery = '/'): RequestFacts => ({ scheme, hostHeader, pathWithQuery, method: 'GET', headers: [], httpsPort: 443 });

describe('explain: ssl-forbid-http', () => {
  test('on the TLS hosts only (exact, and one label under a wildcard), plain HTTP only, ACME challenges exempt', () => {
    const features = { httpForbidden: { hosts: ['*.w.test', 'a.test'] } };
    assert.equal(describeFeatures(features, request('http', 'a.test:80')).answer?.status, 403);
    assert.equal(describeFeatures(features, request('http', 'x.w.test')).answer?.status, 403);
    assert.equal(describeFeatures(features, request('http', 'x.y.w.test')).answer, undefined);
    assert.equal(describeFeatures(features, request('http', 'plain.test')).answer, undefined);
    assert.equal(describeFeatures(features, request('https', 'a.test')).answer, undefined);
    assert.equal(describeFeatures(features, request('http', 'a.test', '/.well-known/acme-challenge/t')).answer, undefined);
  });

  test('force-ssl-forbid-http: every host, before the redirect', () => {
    const result = describeFeatures({ httpForbidden: {}, httpsRedirect: true }, request('http', 'any.test'));
    assert.equal(result.answer?.status, 403);
    assert.deepEqual(result.notes.map((note) => note.name), ['force-ssl-forbid-http', 'force-ssl-redirect']);
  });
});
