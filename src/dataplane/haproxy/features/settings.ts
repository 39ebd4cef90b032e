// Feature values that change at runtime, through settings.map. Pure.
//
// A backend section's rules are fixed once HAProxy has loaded them, so a
// feature whose value is written into its rule (`timeout server 60s`) can
// only change with a reload. The values users step most often are instead
// read by the rule from settings.map, under the key `<section>|<setting>`:
//
//   server-timeout  proxy-read-timeout / proxy-send-timeout   set-timeout server
//   tunnel-timeout  the same above an hour (WebSockets)         set-timeout tunnel
//   max-body        proxy-body-size                             413 above it
//   location        permanent-redirect / temporal-redirect      redirect location
//   redirect-code   permanent-redirect-code / temporal-redirect-code  the redirect's code
//   limit-conn      limit-connections                           503 above it
//   limit-rpm       limit-rpm × limit-burst-multiplier          503 at it
//   limit-rps       limit-rps × limit-burst-multiplier          503 at it
//   upstream-host   upstream-vhost                              the Host sent
//   header-N        custom-headers: the Nth header's value (names stay in
//                   the rules; a value a map line cannot carry exactly,
//                   with spaces at its ends or doubled, stays literal)
//   cors            cors-allow-headers, -expose-headers, -max-age,
//                   -methods, -credentials (one value, `;` between
//                   them; cors.ts)
//   gw-*            Gateway API filter values: header values, the timeout,
//                   the redirect's Location start, rewritten paths and
//                   hostname (gateway-filters.ts)
//
// and the access lists by source address, the clients limits never count
// (limit-whitelist) and the CORS origins are pattern
// files of the section (source-lists.ts), changed with `add acl` / `del acl`.
//
// The rules depend only on the section's *shape*: which features it has,
// with these values left out (shapeKey). A backend whose values change gets
// another id (ids are digests of all features), but a loaded section of the
// same Service port and the same shape can serve it (structure.ts
// BackendNames): the change is then a few map entries, without a reload.

import { featuresKey, type Features } from '../../../model/features.js';
import * as c from '../config-lines.js';
import { corsTexts } from './cors.js';
import { gatewaySettingValues, gatewayShape, type GatewaySettingName } from './gateway-filters.js';

export type SettingName = 'server-timeout' | 'tunnel-timeout' | 'max-body' | 'location' | 'redirect-code' | 'upstream-host' | `header-${number}` | 'limit-conn' | 'limit-rpm' | 'limit-rps' | 'cors' | GatewaySettingName;

/** The defaults section's tunnel timeout: a read timeout above it raises the tunnel timeout too (render-features.ts did so before). */
const TUNNEL_SECONDS = 3600;

/** Whether the section raises the tunnel timeout: part of the shape, so crossing the hour reloads once. */
function raisesTunnel(features: Features): boolean {
  return (features.timeouts?.serverSeconds ?? 0) > TUNNEL_SECONDS;
}

/** The values of `features` that settings.map carries, in a fixed order. */
export function settingValues(features: Features | undefined): { name: SettingName; value: c.Safe }[] {
  if (!features) return [];
  const values: { name: SettingName; value: c.Safe }[] = [];
  const server = features.timeouts?.serverSeconds;
  if (server !== undefined) {
    values.push({ name: 'server-timeout', value: c.int(server * 1000) });
    if (raisesTunnel(features)) values.push({ name: 'tunnel-timeout', value: c.int(server * 1000) });
  }
  if (features.maxBodyBytes !== undefined) values.push({ name: 'max-body', value: c.int(features.maxBodyBytes) });
  if (features.redirect) values.push({ name: 'location', value: c.redirectLocationValue(features.redirect.location) });
  if (features.redirect) values.push({ name: 'redirect-code', value: c.int(features.redirect.code) });
  if (features.upstreamHost !== undefined) values.push({ name: 'upstream-host', value: c.hostHeader(features.upstreamHost) });
  (features.responseHeaders ?? []).forEach((header, index) => {
    if (header.value !== undefined && c.isHeaderMapValue(header.value)) values.push({ name: `header-${index}`, value: c.headerMapValue(header.value) });
  });
  // The window (the multiplier) is the stick table's, fixed in the configuration; the counts within it are values.
  const limits = features.limits;
  if (limits?.connections !== undefined) values.push({ name: 'limit-conn', value: c.int(limits.connections) });
  if (limits?.rpm !== undefined) values.push({ name: 'limit-rpm', value: c.int(limits.rpm * limits.burstMultiplier) });
  if (limits?.rps !== undefined) values.push({ name: 'limit-rps', value: c.int(limits.rps * limits.burstMultiplier) });
  const cors = activeCors(features);
  if (cors) values.push({ name: 'cors', value: c.corsSetting(corsTexts(cors)) });
  values.push(...gatewaySettingValues(features.gateway));
  return values;
}

/**
 * The features with the values settings.map carries replaced by markers: two
 * backends of equal shape are served by the same rules, whatever their
 * values.
 */
export function shapeKey(features: Features): string {
  const shape: Record<string, unknown> = { ...features };
  if (features.timeouts?.serverSeconds !== undefined) shape.timeouts = { ...features.timeouts, serverSeconds: raisesTunnel(features) ? 'long' : 'set' };
  if (features.maxBodyBytes !== undefined) shape.maxBodyBytes = 'set';
  if (features.redirect) shape.redirect = { ...features.redirect, location: 'set', code: 'set' };
  if (features.upstreamHost !== undefined) shape.upstreamHost = 'set';
  // custom-headers: the names (and removals) are rules; the values a map line can carry are values.
  if (features.responseHeaders) shape.responseHeaders = features.responseHeaders.map((header) => (header.value !== undefined && c.isHeaderMapValue(header.value) ? { name: header.name, value: 'set' } : header));
  // The lists are pattern files of the section (source-lists.ts).
  if (features.allowSources) shape.allowSources = 'set';
  if (features.denySources) shape.denySources = 'set';
  if (features.cors) {
    // The rules hold whether origins are listed (their list is a pattern file) and whether headers are exposed; the credentials are a value.
    const { origins, exposeHeaders } = features.cors;
    shape.cors = { origins: origins ? 'list' : 'any', expose: exposeHeaders.length > 0 };
  }
  if (features.limits) {
    const { connections, rpm, rps, exempt } = features.limits;
    shape.limits = {
      ...features.limits,
      ...(connections !== undefined ? { connections: 'set' } : {}),
      ...(rpm !== undefined ? { rpm: 'set' } : {}),
      ...(rps !== undefined ? { rps: 'set' } : {}),
      // limit-whitelist is a pattern file (source-lists.ts): only whether there is one shapes the rules.
      ...(exempt && exempt.length > 0 ? { exempt: 'set' } : {}),
    };
  }
  if (features.gateway) shape.gateway = gatewayShape(features.gateway);
  return featuresKey(shape as Features);
}

/** The CORS a section applies: none on a denied location, as in ingress-nginx. */
export function activeCors(features: Features | undefined): Features['cors'] {
  return features?.denied ? undefined : features?.cors;
}

/** The settings.map key of a section's setting. Section names are checked identifiers; `|` is never part of one. */
export function settingKey(section: string, name: SettingName): c.Safe {
  return c.mapKey(`${c.ident(section).text}|${name}`);
}

/** The settings.map entries of a section serving `features`. */
export function settingEntries(section: string, features: Features | undefined): c.MapEntry[] {
  return settingValues(features).map(({ name, value }) => ({ key: settingKey(section, name).text, value }));
}

/**
 * The sample expression that reads a setting of the section. Always
 * `map_str`, even for numbers (HAProxy casts the text where an integer is
 * wanted): one file read as two types would be parsed twice, and an URL
 * value would fail the integer parse.
 */
export function settingSample(settingsMap: string, section: string, name: SettingName): c.Safe {
  return c.fragment`str(${settingKey(section, name)}),map_str(${c.filePath(settingsMap)})`;
}
