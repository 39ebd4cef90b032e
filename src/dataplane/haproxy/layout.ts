// Where Portero keeps HAProxy's files under --state-dir.
//
//   haproxy.cfg          the configuration HAProxy runs (always the last good one)
//   master.sock          master CLI (reload, show proc)
//   admin.sock           runtime API of the current worker
//   haproxy.pid          master PID, to clean up after a crash of Portero
//   default-cert.pem     the certificate generated at first start
//   gen-<N>/             one generation of maps, crt-list and PEM files (CA
//                        bundles of client authentication too); the
//                        config names its generation, so a failed reload or a
//                        restart always finds the files the config was checked with

import { join } from 'node:path';

export interface Layout {
  stateDir: string;
  config: string;
  candidateConfig: string;
  masterSocket: string;
  adminSocket: string;
  pidFile: string;
  defaultCertificate: string;
  generation(n: number): string;
}

export function layout(stateDir: string): Layout {
  return {
    stateDir,
    config: join(stateDir, 'haproxy.cfg'),
    candidateConfig: join(stateDir, 'haproxy.cfg.next'),
    masterSocket: join(stateDir, 'master.sock'),
    adminSocket: join(stateDir, 'admin.sock'),
    pidFile: join(stateDir, 'haproxy.pid'),
    defaultCertificate: join(stateDir, 'default-cert.pem'),
    generation: (n: number) => join(stateDir, `gen-${n}`),
  };
}

/** File names inside a generation directory. */
export const GENERATION_FILES = {
  hostsMap: 'hosts.map',
  exactMap: 'exact.map',
  prefixMap: 'prefix.map',
  redirectMap: 'redirect.map',
  regexMap: 'regex.map',
  canaryMap: 'canary-weights.map',
  /** Route key → candidate list (Route.candidates; see config-lines.ts for the format). */
  candidatesMap: 'candidates.map',
  passthroughMap: 'passthrough.map',
  backendsMap: 'backends.map',
  /** `<section>|<setting>` → the value a backend section's rule reads (features/settings.ts). */
  settingsMap: 'settings.map',
  crtList: 'crt-list.txt',
  certsDir: 'certs',
  error503: '503.http',
  /** Our Lua for external authentication (features/ext-auth-lua.ts). */
  extAuthLua: 'ext-auth.lua',
  /** Our Lua that evaluates candidate lists (features/candidates-lua.ts). */
  candidatesLua: 'candidates.lua',
  /** Our Lua for request mirroring (features/mirror-lua.ts). */
  mirrorLua: 'mirror.lua',
  /** Client certificates (features/client-auth.ts): level → settings, settings → error page, match-cn patterns, OpenSSL's verify texts. */
  clientAuthMap: 'client-auth.map',
  clientAuthPages: 'client-auth-pages.map',
  clientAuthNames: 'client-auth-names.lst',
  verifyErrors: 'verify-errors.map',
} as const;
