// Command-line flags: definitions, help text and validation.
//
// Every flag is documented in docs/configuration.md; keep the two in step.

import { Command, InvalidArgumentError, Option } from 'commander';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import * as grammar from '../objects/grammar.js';
import { LOG_LEVELS, type LogLevel } from '../telemetry/log.js';
import type { IngressLoadBalancerIngress } from '../objects/types.js';
import type { LabelSelector } from '../objects/gateway-types.js';
import { parseLabelSelector } from '../objects/label-selector.js';
import { parseStatusAddresses } from '../status/addresses.js';
import type { ServiceRef } from '../translate/translate.js';
import { addIngressNginxFlags, noEffectFlagsGiven } from './nginx-flags.js';
import { defaultStateDir } from './state-dir.js';

export interface Flags {
  manifests?: string;
  kubeconfig?: string;
  httpPort: number;
  httpsPort: number;
  bindAddress: string;
  healthPort: number;
  stateDir: string;
  ingressClass: string;
  controllerClass: string;
  watchIngressWithoutClass: boolean;
  defaultBackendService?: ServiceRef;
  defaultSslCertificate?: { namespace: string; name: string };
  haproxy: string;
  logLevel: LogLevel;
  hardStopAfter: string;
  watchNamespace?: string;
  /** `--watch-namespace-selector`, parsed. */
  watchNamespaceSelector?: LabelSelector;
  publishStatusAddress?: IngressLoadBalancerIngress[];
  publishService?: { namespace: string; name: string };
  electionId: string;
  updateStatus: boolean;
  statusRefreshInterval: number;
  watchIdleTimeout: number;
  accessLog: boolean;
  haproxyMetricsPort: number;
  shutdownGracePeriod: number;
  annotationsPrefix: string;
  allowSnippetAnnotations: boolean;
  /** `--configmap NS/NAME`: the ingress-nginx ConfigMap whose keys Portero reads. */
  configmap?: { namespace: string; name: string };
  /** `--gateway-controller-name`: the GatewayClasses (spec.controllerName) Portero serves. */
  gatewayControllerName: string;
  /** `--dashboard`: the read-only dashboard on the health port under /dashboard/ (docs/dashboard.md). */
  dashboard: boolean;
  // ingress-nginx flag names, folded into the flags above by parseFlags.
  healthzPort?: number;
  v?: number;
  enableSslPassthrough?: boolean;
  ingressClassByName?: boolean;
  enableMetrics?: boolean;
  disableCatchAll?: boolean;
  /** ingress-nginx flags given that have no effect in Portero, each with why (nginx-flags.ts); logged at start. */
  noEffectFlags: { flag: string; reason: string }[];
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^[0-9]+$/.test(value) || port < 1 || port > 65535) throw new InvalidArgumentError('must be a port number between 1 and 65535.');
  return port;
}

function parsePortOrZero(value: string): number {
  return value === '0' ? 0 : parsePort(value);
}

function parseAddress(value: string): string {
  if (isIP(value) === 0) throw new InvalidArgumentError('must be an IPv4 or IPv6 address, such as 0.0.0.0 or 127.0.0.1.');
  return value;
}

export function parseNamespacedName(value: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = value.split('/');
  if (!namespace || !name || rest.length > 0 || grammar.namespaceName(namespace).length > 0 || grammar.objectName(name).length > 0) {
    throw new InvalidArgumentError('must be NAMESPACE/NAME, such as ingress/default-cert.');
  }
  return { namespace, name };
}

export function parseServiceRef(value: string): ServiceRef {
  const match = /^([^/]+)\/([^:]+):(.+)$/.exec(value);
  if (!match) throw new InvalidArgumentError('must be NAMESPACE/NAME:PORT, such as default/fallback:80 or default/fallback:http.');
  const [, namespace = '', name = '', port = ''] = match;
  if (grammar.namespaceName(namespace).length > 0) throw new InvalidArgumentError(`namespace ${JSON.stringify(namespace)} is not a valid namespace name.`);
  if (grammar.serviceName(name).length > 0) throw new InvalidArgumentError(`${JSON.stringify(name)} is not a valid Service name.`);
  if (/^[0-9]+$/.test(port)) return { namespace, name, port: parsePort(port) };
  if (grammar.portName(port).length > 0) throw new InvalidArgumentError(`${JSON.stringify(port)} is neither a port number nor a valid port name.`);
  return { namespace, name, port };
}

function parseStateDir(value: string): string {
  const path = isAbsolute(value) ? value : resolve(value);
  if (!/^\/[A-Za-z0-9_.\/-]*$/.test(path)) throw new InvalidArgumentError('may contain only letters, digits and . _ - / (HAProxy reads files from it).');
  // Unix socket paths are limited to 107 bytes; the longest one we make is admin.sock.
  if (path.length > 90) throw new InvalidArgumentError('is too long (HAProxy sockets live in it; keep it under 90 characters).');
  return path;
}

const MS_PER_UNIT = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A duration flag (`500ms`, `10s`, `5m`, `1h`) in milliseconds. */
export function durationMs(value: string): number {
  const match = /^([0-9]{1,9})(ms|s|m|h)$/.exec(value);
  if (!match) throw new InvalidArgumentError('must be a duration such as 500ms, 10s, 5m or 1h.');
  return Number(match[1]) * MS_PER_UNIT[match[2] as keyof typeof MS_PER_UNIT];
}

/** --shutdown-grace-period: a duration, or a bare number of seconds as ingress-nginx's flag of the same name takes it. */
function parseGracePeriod(value: string): number {
  return /^[0-9]{1,6}$/.test(value) ? Number(value) * 1000 : durationMs(value);
}

/** A duration passed on to HAProxy as written (HAProxy reads the same units). */
function parseHaproxyDuration(value: string): string {
  durationMs(value);
  return value;
}

function parseNamespace(value: string): string {
  if (grammar.namespaceName(value).length > 0) throw new InvalidArgumentError('must be a namespace name.');
  return value;
}

function parseNamespaceSelector(value: string): LabelSelector {
  const parsed = parseLabelSelector(value);
  if ('error' in parsed) throw new InvalidArgumentError(`must be a label selector: ${parsed.error}.`);
  return parsed.selector;
}

function parseAddresses(value: string): IngressLoadBalancerIngress[] {
  try {
    const addresses = parseStatusAddresses(value);
    if (addresses.length === 0) throw new Error('no address given');
    return addresses;
  } catch (error) {
    throw new InvalidArgumentError(`must be comma-separated IP addresses or DNS names: ${(error as Error).message}.`);
  }
}

function parseElectionId(value: string): string {
  if (grammar.objectName(value).length > 0) throw new InvalidArgumentError('must be a valid Lease name (a DNS subdomain).');
  return value;
}

/** An annotation prefix: a DNS subdomain, as in `nginx.ingress.kubernetes.io`. */
export function parseAnnotationsPrefix(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(value) || value.length > 253) {
    throw new InvalidArgumentError('must be a DNS subdomain, such as nginx.ingress.kubernetes.io.');
  }
  return value;
}

/** A boolean flag value as Go's flag package reads it (`--update-status=false`). */
/** A GatewayClass controllerName: a domain-prefixed path, as the API's ControllerName grammar. */
function parseControllerName(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9\/\-._~%!$&'()*+,;=:]+$/.test(value) || value.length > 253) {
    throw new InvalidArgumentError('must be a domain-prefixed path such as portero.dev/gateway-controller');
  }
  return value;
}

function parseBool(value: string): boolean {
  if (/^(1|t|T|true|TRUE|True)$/.test(value)) return true;
  if (/^(0|f|F|false|FALSE|False)$/.test(value)) return false;
  throw new InvalidArgumentError('must be true or false.');
}

function parseVerbosity(value: string): number {
  if (!/^[0-9]{1,2}$/.test(value)) throw new InvalidArgumentError('must be a verbosity level, 0 to 99.');
  return Number(value);
}

/** ingress-nginx's klog verbosity → Portero's log level: up to 2 is info, 3 and more is debug (as ingress-nginx logs requests at 3). */
export function logLevelForVerbosity(verbosity: number): LogLevel {
  return verbosity >= 3 ? 'debug' : 'info';
}

function parseInterval(value: string): number {
  const ms = durationMs(value);
  if (ms < 100) throw new InvalidArgumentError('must be at least 100ms.');
  return ms;
}

export function buildCommand(): Command {
  const command = new Command('portero')
    .description('Kubernetes Ingress controller: serves Ingress objects with HAProxy.')
    .helpOption('-h, --help', 'Show this help.')
    .addOption(new Option('--manifests <dir>', 'Read objects from YAML/JSON manifests under DIR (recursively) and watch them, instead of the Kubernetes API.'))
    .addOption(new Option('--kubeconfig <file>', 'Kubeconfig for the Kubernetes API (default: $KUBECONFIG, else in-cluster config). Used when --manifests is not given.'))
    .addOption(new Option('--http-port <port>', 'Port for plain HTTP.').default(80).argParser(parsePort))
    .addOption(new Option('--https-port <port>', 'Port for HTTPS (TLS by SNI, HTTP/2 and HTTP/1.1).').default(443).argParser(parsePort))
    .addOption(new Option('--bind-address <ip>', 'Address HAProxy and the health server listen on.').default('0.0.0.0').argParser(parseAddress))
    .addOption(new Option('--health-port <port>', 'Port of /healthz and /readyz.').default(10254).argParser(parsePort))
    .addOption(new Option('--dashboard', 'Serve a read-only dashboard (routes, endpoints, certificates, diagnostics, changes) on the health port under /dashboard/.').default(false))
    .addOption(new Option('--state-dir <dir>', 'Directory for HAProxy configuration, maps, certificates and sockets; it must belong to this user and be writable by no one else (created with mode 0700 when missing).').default(defaultStateDir(process.env, process.getuid?.(), tmpdir()), '/var/lib/portero as root, else $XDG_RUNTIME_DIR/portero, else $TMPDIR/portero-UID').argParser(parseStateDir))
    .addOption(new Option('--ingress-class <name>', 'IngressClass name this controller serves.').default('portero'))
    .addOption(new Option('--controller-class <name>', 'spec.controller value of the IngressClasses this controller serves.').default('portero.dev/ingress-controller'))
    .addOption(new Option('--watch-ingress-without-class', 'Also serve Ingresses that name no class.').default(false))
    .addOption(new Option('--default-backend-service <ns/name:port>', 'Service that answers requests matching no rule when no Ingress sets spec.defaultBackend (default: a plain 404).').argParser(parseServiceRef))
    .addOption(new Option('--default-ssl-certificate <ns/name>', 'TLS Secret served when SNI matches no host (default: a self-signed certificate generated at first start).').argParser(parseNamespacedName))
    .addOption(new Option('--haproxy <path>', 'HAProxy executable (2.6 or newer).').default('haproxy'))
    .addOption(new Option('--log-level <level>', 'Log level.').choices(LOG_LEVELS).default('info'))
    .addOption(new Option('--access-log', 'Write HAProxy access logs to stdout, one JSON object per request.').default(false))
    .addOption(new Option('--haproxy-metrics-port <port>', "Port of HAProxy's own Prometheus exporter (/metrics; global and frontend metrics unless ?scope= asks for more); 0 turns it off.").default(10255).argParser(parsePortOrZero))
    .addOption(new Option('--shutdown-grace-period <duration>', 'On SIGTERM, keep serving this long with /readyz failing, so that load balancers stop sending, before HAProxy stops accepting connections (a bare number is seconds, as in ingress-nginx).').default(10_000, '10s').argParser(parseGracePeriod))
    .addOption(new Option('--hard-stop-after <duration>', 'Longest time an old HAProxy worker may keep serving its connections after a reload or stop.').default('5m').argParser(parseHaproxyDuration))
    .addOption(new Option('--watch-namespace-selector <selector>', 'Serve only the Ingresses of namespaces whose labels this selector selects (as kubectl -l: foo=bar,env in (a,b),!legacy), as in ingress-nginx.').argParser(parseNamespaceSelector))
    .addOption(new Option('--watch-namespace <namespace>', 'Kubernetes mode: watch Ingresses, Services, EndpointSlices and Secrets in this namespace only (default: all).').argParser(parseNamespace))
    .addOption(new Option('--publish-status-address <addresses>', 'Kubernetes mode: comma-separated IPs or host names to write into Ingress status.').argParser(parseAddresses))
    .addOption(new Option('--publish-service <ns/name>', "Kubernetes mode: write this Service's load-balancer addresses (or external IPs) into Ingress status.").argParser(parseNamespacedName))
    .addOption(new Option('--election-id <name>', 'Kubernetes mode: name of the Lease used for leader election, in $POD_NAMESPACE.').default('portero-leader').argParser(parseElectionId))
    .addOption(new Option('--no-update-status', 'Kubernetes mode: never write Ingress status (Events are still written).'))
    .addOption(new Option('--status-refresh-interval <duration>', 'Kubernetes mode: how often the published addresses are re-read.').default(10_000, '10s').argParser(parseInterval))
    .addOption(new Option('--watch-idle-timeout <duration>', 'Kubernetes mode: a watch that delivers nothing, not even a bookmark, for this long is re-opened.').default(150_000, '150s').argParser(parseInterval))
    .addOption(new Option('--annotations-prefix <prefix>', 'Prefix of the ingress-nginx annotations Portero reads (docs/annotations.md).').default('nginx.ingress.kubernetes.io').argParser(parseAnnotationsPrefix))
    .addOption(new Option('--allow-snippet-annotations', 'Accept snippet annotations (configuration-snippet, server-snippet, ...) holding the safe subset of directives Portero parses; without it an Ingress carrying a snippet is refused.').default(false))
    .addOption(new Option('--configmap <ns/name>', "The ingress-nginx ConfigMap (e.g. ingress-nginx/ingress-nginx-controller) whose keys set global defaults (docs/configuration.md, \"ingress-nginx ConfigMap\"); changes apply live.").argParser(parseNamespacedName))
    .addOption(new Option('--gateway-controller-name <name>', 'Serve the Gateways of GatewayClasses whose spec.controllerName is this (docs/gateway-api.md).').default('portero.dev/gateway-controller').argParser(parseControllerName))
    // ingress-nginx's flag names, so that its manifests' arguments work unchanged (docs/configuration.md, "ingress-nginx flag names").
    .addOption(new Option('--update-status [bool]', 'ingress-nginx name: --update-status=false is --no-update-status.').argParser(parseBool))
    .addOption(new Option('--healthz-port <port>', 'ingress-nginx name of --health-port.').argParser(parsePort))
    .addOption(new Option('--v <level>', 'ingress-nginx verbosity: 0-2 is --log-level info, 3 or more is debug.').argParser(parseVerbosity))
    .addOption(new Option('--enable-ssl-passthrough [bool]', "Honour the ssl-passthrough annotation: TLS to those hosts goes, by SNI, to the Service's pods as it is (the TLS port then routes every connection by SNI first).").argParser(parseBool))
    .addOption(new Option('--ingress-class-by-name [bool]', 'ingress-nginx flag: the IngressClass named by --ingress-class is served even when its spec.controller is not --controller-class.').argParser(parseBool))
    .addOption(new Option('--enable-metrics [bool]', 'ingress-nginx flag: accepted; metrics are always on.').argParser(parseBool))
    .addOption(new Option('--disable-catch-all [bool]', 'ingress-nginx flag: Ingresses with a spec.defaultBackend are not served.').argParser(parseBool))
    .addHelpText('after', '\nCommands:\n  portero migrate [options]  Report how Portero would serve the Ingresses ingress-nginx serves (portero migrate --help).')
    .showHelpAfterError('(run portero --help for every flag)')
    .allowExcessArguments(false);
  addIngressNginxFlags(command);
  return command;
}

export function parseFlags(argv: readonly string[]): Flags {
  const command = buildCommand();
  command.parse([...argv], { from: 'user' });
  const options = command.opts<Flags>();
  options.noEffectFlags = noEffectFlagsGiven(command);
  if (command.getOptionValueSource('stateDir') === 'default') {
    // The default comes from $XDG_RUNTIME_DIR or $TMPDIR: hold it to the rules of --state-dir too.
    try {
      parseStateDir(options.stateDir);
    } catch (error) {
      command.error(`error: the default state directory ${JSON.stringify(options.stateDir)} ${(error as Error).message} Give one with --state-dir.`);
    }
  }
  if (options.ingressClass && grammar.objectName(options.ingressClass).length > 0) {
    command.error(`error: option '--ingress-class <name>' argument '${options.ingressClass}' is invalid. It must be a valid IngressClass name.`);
  }
  // ingress-nginx names: the later spelling decides, as two spellings of one flag would.
  if (options.healthzPort !== undefined) {
    if (command.getOptionValueSource('healthPort') === 'cli' && options.healthPort !== options.healthzPort) command.error('error: --health-port and --healthz-port give different ports.');
    options.healthPort = options.healthzPort;
  }
  if (options.v !== undefined && command.getOptionValueSource('logLevel') !== 'cli') options.logLevel = logLevelForVerbosity(options.v);
  const ports = [options.httpPort, options.httpsPort, options.healthPort, ...(options.haproxyMetricsPort ? [options.haproxyMetricsPort] : [])];
  if (new Set(ports).size !== ports.length) {
    command.error('error: --http-port, --https-port, --health-port and --haproxy-metrics-port must all differ.');
  }
  return options;
}
