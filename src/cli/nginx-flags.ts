// ingress-nginx flags that Portero accepts without an effect, or refuses with
// the reason, so that the arguments of an ingress-nginx manifest either work
// or say exactly why not (docs/configuration.md, "ingress-nginx flag names").
// The flags with an effect (aliases of Portero's own) are in flags.ts.

import { type Command, InvalidArgumentError, Option } from 'commander';

interface NoEffectFlag {
  flag: string;
  /** `bool`: `--flag`, `--flag=true|false`; `value`: `--flag=VALUE`. */
  takes: 'bool' | 'value';
  reason: string;
}

const WEBHOOK = 'Portero has no admission webhook (it checks every Ingress when it reads it); delete the ingress-nginx-admission ValidatingWebhookConfiguration when switching';

/** Accepted, reported once at start as having no effect. */
export const NO_EFFECT_FLAGS: readonly NoEffectFlag[] = [
  { flag: 'validating-webhook', takes: 'value', reason: WEBHOOK },
  { flag: 'validating-webhook-certificate', takes: 'value', reason: WEBHOOK },
  { flag: 'validating-webhook-key', takes: 'value', reason: WEBHOOK },
  { flag: 'enable-annotation-validation', takes: 'bool', reason: 'Portero always checks annotation values against strict grammars' },
  { flag: 'disable-svc-external-name', takes: 'bool', reason: 'Portero never routes to ExternalName Services' },
  { flag: 'ssl-passthrough-proxy-port', takes: 'value', reason: 'HAProxy routes passthrough connections by SNI itself, with no internal proxy port' },
  { flag: 'default-server-port', takes: 'value', reason: 'requests that match no rule are answered by HAProxy (or --default-backend-service)' },
  { flag: 'status-port', takes: 'value', reason: "nginx's status port; HAProxy's figures are on --haproxy-metrics-port" },
  { flag: 'stream-port', takes: 'value', reason: "nginx's internal stream port" },
  { flag: 'profiler-port', takes: 'value', reason: 'Portero has no profiler endpoint' },
  { flag: 'profiling', takes: 'bool', reason: 'Portero has no profiler endpoint' },
  { flag: 'healthz-host', takes: 'value', reason: 'the health server listens on --bind-address' },
  { flag: 'election-ttl', takes: 'value', reason: "Portero's Lease durations are fixed (docs/kubernetes.md)" },
  { flag: 'sync-period', takes: 'value', reason: 'Portero applies every change as it is watched' },
  { flag: 'sync-rate-limit', takes: 'value', reason: 'Portero coalesces changes within milliseconds and applies most without a reload' },
  { flag: 'post-shutdown-grace-period', takes: 'value', reason: 'Portero stops once HAProxy has stopped (see --shutdown-grace-period and --hard-stop-after)' },
  { flag: 'enable-topology-aware-routing', takes: 'bool', reason: 'requests go to every ready endpoint of the Service' },
  { flag: 'metrics-per-host', takes: 'bool', reason: 'HAProxy reports per backend (Service port), not per host' },
  { flag: 'metrics-per-undefined-host', takes: 'bool', reason: 'HAProxy reports per backend (Service port), not per host' },
  { flag: 'exclude-socket-metrics', takes: 'value', reason: "nginx's socket metrics do not exist in Portero" },
  { flag: 'enable-ssl-chain-completion', takes: 'bool', reason: 'the Secret must hold the whole certificate chain' },
  { flag: 'report-node-internal-ip-address', takes: 'bool', reason: 'Portero publishes ExternalIP, else InternalIP; use --publish-status-address to choose' },
];

/** Refused with the reason: ignoring them would serve something else than the manifest asks for. */
export const REFUSED_FLAGS: readonly { flag: string; reason: string }[] = [
  { flag: 'tcp-services-configmap', reason: 'Portero serves HTTP and HTTPS only; TCP services (tcp-services ConfigMap) are not supported.' },
  { flag: 'udp-services-configmap', reason: 'Portero serves HTTP and HTTPS only; UDP services (udp-services ConfigMap) are not supported.' },
];

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function anyBool(value: string): string {
  if (!/^(1|t|T|true|TRUE|True|0|f|F|false|FALSE|False)$/.test(value)) throw new InvalidArgumentError('must be true or false.');
  return value;
}

/** Adds the flags above to the command, hidden from --help (they are documented in docs/configuration.md). */
export function addIngressNginxFlags(command: Command): void {
  for (const { flag, takes } of NO_EFFECT_FLAGS) {
    const option = takes === 'bool' ? new Option(`--${flag} [bool]`).argParser(anyBool) : new Option(`--${flag} <value>`);
    command.addOption(option.hideHelp());
  }
  for (const { flag, reason } of REFUSED_FLAGS) {
    command.addOption(
      new Option(`--${flag} <value>`)
        .hideHelp()
        .argParser(() => {
          throw new InvalidArgumentError(reason);
        }),
    );
  }
}

/** The no-effect flags given on the command line, each with why it has no effect. */
export function noEffectFlagsGiven(command: Command): { flag: string; reason: string }[] {
  return NO_EFFECT_FLAGS.filter(({ flag }) => command.getOptionValueSource(camel(flag)) === 'cli').map(({ flag, reason }) => ({ flag: `--${flag}`, reason }));
}
