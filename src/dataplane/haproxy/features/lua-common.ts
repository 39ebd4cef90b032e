// Lua shared by our actions that send requests of their own with HAProxy's
// HTTP client (ext-auth-lua.ts, mirror-lua.ts): interpolated into each
// file, since each is loaded on its own (and only when used).

import type { Endpoint } from '../../../model/model.js';
import * as c from '../config-lines.js';

/**
 * The most endpoints one action argument names: 64 of the longest IPv6
 * `[addr]:port` stay within a Lua argument's 4,096 characters (c.luaArg),
 * so a Service with hundreds of endpoints never makes a rule that render
 * refuses (which would stop every later apply). An auth or mirror service
 * needs no more to spread its requests.
 */
export const MAX_ENDPOINT_ARGS = 64;

/** Endpoints as one action argument, `a:p,[v6]:p` (the first MAX_ENDPOINT_ARGS); `-` for none. */
export function endpointsArg(endpoints: readonly Endpoint[]): c.Safe {
  const named = endpoints.slice(0, MAX_ENDPOINT_ARGS);
  return c.luaArg(named.length === 0 ? '-' : named.map((endpoint) => c.address(endpoint.address, endpoint.port).text).join(','));
}

/** Framing and hop-by-hop request headers: never copied into a request the proxy sends itself (the HTTP client frames its own). */
export const HOP_BY_HOP_HEADERS: readonly string[] = ['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect'];

/** A Lua table body `["a"] = true, ["b"] = true` of lowercase header names (a fixed set of ours, checked). */
export function luaNameSet(names: readonly string[]): string {
  for (const name of names) if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`invalid header name ${name}`);
  return names.map((name) => `["${name}"] = true`).join(', ');
}

/**
 * `split(text)`: the items of a comma-separated argument (`-`: none);
 * `values_of(values)`: header values as HAProxy gives them (an array indexed
 * from 0) as a Lua list.
 */
export const LUA_LIST_HELPERS = `local function split(text)
  local out = {}
  if text == "-" then return out end
  for item in string.gmatch(text, "[^,]+") do out[#out + 1] = item end
  return out
end

-- HAProxy gives header values as arrays indexed from 0.
local function values_of(values)
  local out = {}
  if values == nil then return out end
  local i = 0
  while values[i] ~= nil do
    out[#out + 1] = values[i]
    i = i + 1
  end
  return out
end`;

/**
 * `send(method, request)`: a request of HAProxy 2.6's HTTP client, which
 * can send these methods only; nil for any other (nothing is sent).
 */
export const LUA_SEND = `-- The methods HAProxy 2.6's HTTP client can send.
local SENDERS = { GET = "get", HEAD = "head", POST = "post", PUT = "put", DELETE = "delete" }

local function send(method, request)
  local name = SENDERS[method]
  if name == nil then return nil end
  local client = core.httpclient()
  return client[name](client, request)
end`;
