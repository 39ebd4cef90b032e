// Host levels that annotations add next to the hosts of Ingress rules:
//
// - server-alias: each alias is a level with the very routes and fallback of
//   the Ingress's first host (the merged level of all Ingresses on that host,
//   as an nginx server_name alias serves the whole server). An alias that is
//   a host of some rule is ignored with a warning; an alias claimed for two
//   different hosts goes to the oldest Ingress.
// - from-to-www-redirect: for each exact host of the Ingress, its twin
//   (`www.example.com` ↔ `example.com`) becomes a level whose every request
//   goes to a backend that only redirects (308) to the same path and query
//   on the host. Skipped when the twin is a host of some rule or an alias.
//
// The model stays plain data: these are ordinary levels and backends (the
// redirect is a feature of a backend of one of the host's Services, which it
// never forwards to), so the reference matcher in model/match.ts needs no
// rule of its own. Pure; remembered per Routing (itself remembered).

import { featuredBackendId, type Features } from '../model/features.js';
import { backendId, type HostLevel, type Target } from '../model/model.js';
import { ingressHost } from '../objects/grammar.js';
import { keyOf, refOf, type Ingress } from '../objects/types.js';
import type { AnnotationSettings } from './annotations/index.js';
import { hostOptionsOf } from './annotations/hosts.js';
import type { BackendSpec } from './backends.js';
import type { Diagnostic } from './diagnostics.js';
import type { Routing } from './routes.js';

/** ingress-nginx's default `http-redirect-code`. */
const WWW_REDIRECT_CODE = 308;

function twinOf(host: string): string | undefined {
  if (host === '' || host.startsWith('*.')) return undefined;
  const twin = host.startsWith('www.') ? host.slice(4) : `www.${host}`;
  return ingressHost(twin).length === 0 ? twin : undefined;
}

/** A Service port the level sends requests to, to carry the redirect backend. */
function specOfLevel(level: HostLevel, specs: ReadonlyMap<string, BackendSpec>): BackendSpec | undefined {
  for (const target of [...level.routes.map((route) => route.target), level.fallback]) {
    const spec = target.kind === 'backend' ? specs.get(target.id) : undefined;
    if (spec) return spec;
  }
  return undefined;
}

const remembered = new WeakMap<Routing, { ingresses: readonly Ingress[]; prefix: string; routing: Routing }>();

/** `routing` with the alias and www-twin levels of `ingresses` (valid, oldest first) added. */
export function addExtraHosts(ingresses: readonly Ingress[], routing: Routing, settings: AnnotationSettings): Routing {
  const memo = remembered.get(routing);
  if (memo && memo.ingresses === ingresses && memo.prefix === settings.prefix) return memo.routing;
  const result = extraHosts(ingresses, routing, settings);
  remembered.set(routing, { ingresses, prefix: settings.prefix, routing: result });
  return result;
}

function extraHosts(ingresses: readonly Ingress[], routing: Routing, settings: AnnotationSettings): Routing {
  const byHost = new Map(routing.levels.map((level) => [level.host, level]));
  const added = new Map<string, HostLevel>();
  const aliasOf = new Map<string, { host: string; owner: Ingress }>();
  const specs = new Map(routing.specs);
  const diagnostics: Diagnostic[] = [];
  const options = ingresses.map((ingress) => ({ ingress, ...hostOptionsOf(ingress, settings) }));
  const field = (name: string) => `metadata.annotations[${JSON.stringify(`${settings.prefix}/${name}`)}]`;
  const warn = (ingress: Ingress, name: string, message: string) => diagnostics.push({ severity: 'warning', object: refOf(ingress), field: field(name), message });

  // Aliases first: a name written out beats a derived www twin.
  for (const { ingress, aliases } of options) {
    if (aliases.length === 0) continue;
    const host = ingress.spec.rules.find((rule) => rule.host)?.host;
    const level = host === undefined ? undefined : byHost.get(host);
    if (host === undefined || !level) {
      warn(ingress, 'server-alias', 'the Ingress has no rule with a host to alias; ignored');
      continue;
    }
    for (const alias of aliases) {
      if (alias === host) continue;
      const claimed = aliasOf.get(alias);
      if (byHost.has(alias)) warn(ingress, 'server-alias', `${alias} is a host of an Ingress rule, which takes priority; this alias is ignored`);
      else if (claimed && claimed.host !== host) {
        warn(ingress, 'server-alias', `${alias} is already an alias of ${claimed.host} by older Ingress ${keyOf(claimed.owner.metadata.namespace, claimed.owner.metadata.name)}; this alias is ignored`);
      } else if (!claimed) {
        aliasOf.set(alias, { host, owner: ingress });
        // Everything of the level but its name, so that what levels grow (e.g. a matching mode) carries over.
        added.set(alias, { ...level, host: alias });
      }
    }
  }

  for (const { ingress, wwwRedirect } of options) {
    if (!wwwRedirect) continue;
    for (const rule of ingress.spec.rules) {
      const host = rule.host ?? '';
      const twin = twinOf(host);
      const level = byHost.get(host);
      if (twin === undefined || !level || byHost.has(twin) || added.has(twin)) continue;
      const spec = specOfLevel(level, specs);
      if (!spec) {
        warn(ingress, 'from-to-www-redirect', `no Service of host ${host} is available to answer the redirect from ${twin}; ${twin} is not redirected`);
        continue;
      }
      const features: Features = { hostRedirect: { host, code: WWW_REDIRECT_CODE } };
      const id = featuredBackendId(backendId(spec.namespace, spec.service.metadata.name, spec.servicePort.port), features);
      specs.set(id, { id, namespace: spec.namespace, service: spec.service, servicePort: spec.servicePort, features });
      const target: Target = { kind: 'backend', id };
      added.set(twin, { host: twin, routes: [], fallback: target });
    }
  }

  if (added.size === 0 && diagnostics.length === 0) return routing;
  const levels = [...routing.levels, ...added.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  const aliases = new Map([...aliasOf].map(([alias, { host }]) => [alias, host]));
  return { ...routing, levels, specs, diagnostics: [...routing.diagnostics, ...diagnostics], ...(aliases.size > 0 ? { aliases } : {}) };
}
