// GET /api/explain on the health port: a running Portero explains a request
// with the translation it serves now (what `portero explain --server` and
// the dashboard's search box ask). Query parameters: `url` (required),
// `method`, `header` (repeatable, "Name: value"), `sni` (the TLS server
// name; `nosni=1` for none), `address`. Answers 200 with the Explanation as
// JSON, 400 {error} for a request that cannot be explained, 503 before the
// first translation, 405 for other methods.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { explainRequest, type ExplainSetup } from './explain.js';
import { ExplainInputError, parseHeaderFlag } from './request.js';
import type { ExplainInput } from './types.js';

export const EXPLAIN_PATH = '/api/explain';

/** The query string of an input (the client side of this endpoint). */
export function explainQuery(input: ExplainInput): string {
  const query = new URLSearchParams();
  query.set('url', input.url);
  if (input.method !== undefined) query.set('method', input.method);
  for (const [name, value] of input.headers ?? []) query.append('header', `${name}: ${value}`);
  if (input.sni === null) query.set('nosni', '1');
  else if (input.sni !== undefined) query.set('sni', input.sni);
  if (input.address !== undefined) query.set('address', input.address);
  return query.toString();
}

/** The input of a query string; ExplainInputError when it lacks the URL or has a malformed header. */
export function inputOfQuery(query: URLSearchParams): ExplainInput {
  const url = query.get('url');
  if (url === null || url === '') throw new ExplainInputError('the url parameter is required');
  const method = query.get('method');
  const noSni = query.get('nosni') === '1';
  const sni = query.get('sni');
  const address = query.get('address');
  return {
    url,
    ...(method !== null && method !== '' ? { method } : {}),
    headers: query.getAll('header').map(parseHeaderFlag),
    ...(noSni ? { sni: null } : sni !== null ? { sni } : {}),
    ...(address !== null && address !== '' ? { address } : {}),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/**
 * Answers `req` when its path is /api/explain and returns true; returns
 * false (and writes nothing) for any other path. `getState`: the setup of
 * the latest applied translation, undefined before the first.
 */
export function handleExplainRequest(req: IncomingMessage, res: ServerResponse, getState: () => ExplainSetup | undefined): boolean {
  const url = new URL(req.url ?? '/', 'http://portero.invalid');
  if (url.pathname !== EXPLAIN_PATH) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, { error: 'use GET' });
    return true;
  }
  const state = getState();
  if (!state) {
    send(res, 503, { error: 'nothing translated yet' });
    return true;
  }
  try {
    send(res, 200, explainRequest(state, inputOfQuery(url.searchParams)));
  } catch (error) {
    // The health server must keep answering whatever one request asks.
    if (error instanceof ExplainInputError) send(res, 400, { error: error.message });
    else send(res, 500, { error: `explain failed: ${(error as Error).message}` });
  }
  return true;
}
