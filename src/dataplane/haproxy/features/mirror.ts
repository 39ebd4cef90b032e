// Request mirroring in a backend section: one rule per mirror calls the Lua
// action (mirror-lua.ts), which hands a copy of the request to a task and
// returns at once. A mirror that copies a share of the requests has its
// rule under `rand()`, so a request that is not copied costs one random
// draw and nothing else. With body copying, the rules first wait (a second
// at most) for a body announced by Content-Length, for the copied requests
// only.
//
// The mirror's endpoints are arguments of its rule (a change reloads, as
// for external auth's: structure.ts backendSettings); so is the share.

import type { Mirror } from '../../../model/features.js';
import type { Endpoint } from '../../../model/model.js';
import * as c from '../config-lines.js';
import { endpointsArg } from './lua-common.js';
import { MIRROR_ACTION } from './mirror-lua.js';

const MODES = ['request', 'prefixed', 'literal'];

/** How the copy's path is made (mirror-lua.ts copy_of). */
function pathArgs(mirror: Mirror): c.Safe {
  const path = mirror.path;
  if (!path) return c.fragment`${c.luaArg('-')} ${c.keyword('request', MODES)}`;
  const prefix = c.luaArg(path.prefix === '' ? '-' : path.prefix);
  return c.fragment`${prefix} ${c.keyword(path.requestUri ? 'prefixed' : 'literal', MODES)}`;
}

/** The condition of a mirror's rules: its share of the requests; undefined for every request. */
function sampled(mirror: Mirror): c.Safe | undefined {
  const fraction = mirror.fraction;
  if (!fraction || fraction.numerator >= fraction.denominator) return undefined;
  return c.fragment`{ rand(${c.int(fraction.denominator)}) lt ${c.int(fraction.numerator)} }`;
}

/** The rules of the mirrors of a section; `endpoints[i]`: mirror i's (none: that copy is not sent). */
export function mirrorRequestLines(mirrors: readonly Mirror[] | undefined, endpoints: readonly (readonly Endpoint[])[]): string[] {
  const lines: string[] = [];
  (mirrors ?? []).forEach((mirror, index) => {
    const list = endpoints[index] ?? [];
    if (list.length === 0) return;
    let when = sampled(mirror);
    if (when && mirror.body) {
      // One draw for both rules: the variable says whether this request is copied.
      const variable = c.ident(`txn.portero_mirror${index}`);
      lines.push(c.line`  http-request set-var(${variable}) bool(1) if ${when}`);
      when = c.fragment`{ var(${variable}) -m bool }`;
    }
    const condition = when ? c.fragment` if ${when}` : c.fragment``;
    if (mirror.body) {
      lines.push(c.line`  http-request wait-for-body time 1s${when ? c.fragment` if ${when} { req.hdr(content-length) -m found }` : c.fragment` if { req.hdr(content-length) -m found }`}`);
    }
    const host = c.luaArg(mirror.host === undefined ? '-' : c.hostHeader(mirror.host).text);
    lines.push(c.line`  http-request lua.${c.ident(MIRROR_ACTION)} ${endpointsArg(list)} ${host} ${pathArgs(mirror)} ${c.luaArg(mirror.body ? '1' : '0')}${condition}`);
  });
  return lines;
}

/** Whether some backend needs the Lua file: it has a mirror with endpoints. */
export function needsMirrorLua(backends: readonly ({ mirrorEndpoints?: readonly (readonly Endpoint[])[] } | undefined)[]): boolean {
  return backends.some((backend) => (backend?.mirrorEndpoints ?? []).some((list) => list.length > 0));
}

/** The mirrors' endpoints as a backend setting (structure.ts): a change reloads. */
export function mirrorSettings(mirrorEndpoints: readonly (readonly Endpoint[])[] | undefined): string {
  if (!mirrorEndpoints) return '';
  return ` mirrors=${mirrorEndpoints.map((list) => list.map((endpoint) => `${endpoint.address}:${endpoint.port}`).join(',')).join(';')}`;
}
