// `portero explain URL`: why a request goes where it goes. The objects come
// from a directory of manifests or the Kubernetes API (read once, as
// `portero check` reads them), or the answer from a running Portero's health
// port (`--server`, /api/explain: the translation it serves now). Exit
// status: 0 when a route takes the request (the HTTPS redirect of a TLS host
// included), 1 when none does (a default backend, 404, a refusal), 2 for
// usage errors and input that cannot be read. See docs/explain.md.

import { Command, InvalidArgumentError, Option } from 'commander';
import { explainRequest } from '../../explain/explain.js';
import { parseHeaderFlag, ExplainInputError } from '../../explain/request.js';
import { renderExplanationText } from '../../explain/render-text.js';
import type { Explanation, ExplainInput } from '../../explain/types.js';
import { snapshotOf, translate } from '../../translate/translate.js';
import { parseAnnotationsPrefix, parseServiceRef } from '../flags.js';
import { collectKube, collectManifests, CollectError } from '../migrate/collect.js';
import { parseSubcommand, USAGE_ERROR, write } from '../migrate/command.js';
import { explainQuery } from '../../explain/http.js';

interface ExplainFlags {
  manifests?: string;
  kubeconfig?: string;
  server?: string;
  request: string;
  header: [string, string][];
  /** commander turns --no-sni into false. */
  sni?: string | false;
  address?: string;
  ingressClass: string;
  controllerClass: string;
  gatewayControllerName: string;
  watchIngressWithoutClass: boolean;
  defaultBackendService?: { namespace: string; name: string; port: number | string };
  annotationsPrefix: string;
  allowSnippetAnnotations: boolean;
  enableSslPassthrough: boolean;
  httpPort: number;
  httpsPort: number;
  output: 'text' | 'json';
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^[0-9]+$/.test(value) || port < 1 || port > 65535) throw new InvalidArgumentError('must be a port number (1-65535).');
  return port;
}

function collectHeader(value: string, previous: [string, string][]): [string, string][] {
  try {
    return [...previous, parseHeaderFlag(value)];
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function buildExplainCommand(): Command {
  return new Command('portero explain')
    .description('Explain which listener, host level, rule and object a request matches, which rules lost and why, the backend and its ready endpoints, the certificate served and the annotations and filters that act. Exit status 0 when a route takes the request (an HTTPS redirect included), 1 when none does (default backend, 404, refusal), 2 for usage errors.')
    .argument('<url>', 'http:// or https://, host, optional port (Portero\'s --http-port/--https-port, or a Gateway listener port), path and query.')
    .helpOption('-h, --help', 'Show this help.')
    .addOption(new Option('--manifests <dir>', 'Read the objects from YAML/JSON manifests under DIR (recursively).'))
    .addOption(new Option('--kubeconfig <file>', 'Read the objects from the Kubernetes API with this kubeconfig (default: $KUBECONFIG, else in-cluster config). Used when neither --manifests nor --server is given.'))
    .addOption(new Option('--server <url>', 'Ask a running Portero: the URL of its health port (http://host:10254); it explains with what it serves now.'))
    .addOption(new Option('-X, --request <method>', 'The request method.').default('GET'))
    .addOption(new Option('-H, --header <header>', 'A request header, "Name: value" (repeatable); Host replaces the URL\'s host.').argParser(collectHeader).default([]))
    .addOption(new Option('--sni <name>', 'HTTPS: the TLS server name sent (default: the URL\'s host).'))
    .addOption(new Option('--no-sni', 'HTTPS: send no server name.').default(undefined))
    .addOption(new Option('--address <ip>', "The destination address, when it is one of a Gateway's own addresses (default: Portero's shared bind address)."))
    .addOption(new Option('--ingress-class <name>', 'As the controller flag.').default('portero'))
    .addOption(new Option('--controller-class <name>', 'As the controller flag.').default('portero.dev/ingress-controller'))
    .addOption(new Option('--gateway-controller-name <name>', 'As the controller flag.').default('portero.dev/gateway-controller'))
    .addOption(new Option('--watch-ingress-without-class', 'As the controller flag.').default(false))
    .addOption(new Option('--default-backend-service <ns/name:port>', 'As the controller flag.').argParser(parseServiceRef))
    .addOption(new Option('--annotations-prefix <prefix>', 'As the controller flag.').default('nginx.ingress.kubernetes.io').argParser(parseAnnotationsPrefix))
    .addOption(new Option('--allow-snippet-annotations', 'As the controller flag.').default(false))
    .addOption(new Option('--enable-ssl-passthrough', 'As the controller flag.').default(false))
    .addOption(new Option('--http-port <port>', "Portero's --http-port: a request to this port is on the Ingress HTTP listener.").default(80).argParser(parsePort))
    .addOption(new Option('--https-port <port>', "Portero's --https-port.").default(443).argParser(parsePort))
    .addOption(new Option('-o, --output <format>', 'text for people, json for tools (docs/explain.md).').choices(['text', 'json']).default('text'))
    .showHelpAfterError('(run portero explain --help for every flag)')
    .allowExcessArguments(false)
    .exitOverride();
}

/** 0 when a route takes the request, 1 otherwise. */
export function explainExitCode(explanation: Explanation): number {
  return explanation.decision.matched ? 0 : 1;
}

async function fromServer(server: string, input: ExplainInput): Promise<Explanation> {
  const base = server.replace(/\/+$/, '');
  let response: Response;
  try {
    response = await fetch(`${base}/api/explain?${explainQuery(input)}`, { signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    throw new CollectError(`cannot reach ${server}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
  }
  const body = await response.text();
  if (response.status === 400) throw new ExplainInputError(((): string => { try { return (JSON.parse(body) as { error: string }).error; } catch { return body; } })());
  if (response.status !== 200) throw new CollectError(`${server} answered ${response.status}: ${body.slice(0, 200)}`);
  return JSON.parse(body) as Explanation;
}

export async function runExplain(argv: readonly string[]): Promise<number> {
  const command = buildExplainCommand();
  const parsed = parseSubcommand(command, argv);
  if (parsed !== undefined) return parsed;
  const flags = command.opts<ExplainFlags>();
  const url = command.args[0]!;
  const sources = [flags.manifests, flags.kubeconfig, flags.server].filter((value) => value !== undefined);
  if (sources.length > 1) {
    await write(process.stderr, 'error: give one of --manifests, --kubeconfig and --server\n');
    return USAGE_ERROR;
  }
  // commander turns --no-sni into sni: false.
  const sni = flags.sni === false ? null : flags.sni;
  const input: ExplainInput = {
    method: flags.request,
    url,
    headers: flags.header,
    ...(sni !== undefined ? { sni } : {}),
    ...(flags.address !== undefined ? { address: flags.address } : {}),
  };
  let explanation: Explanation;
  try {
    if (flags.server !== undefined) explanation = await fromServer(flags.server, input);
    else {
      const collected = flags.manifests !== undefined ? await collectManifests(flags.manifests) : await collectKube(flags.kubeconfig, undefined, true, true);
      for (const problem of collected.problems) await write(process.stderr, `${problem.source}${problem.line !== undefined ? `:${problem.line}` : ''}: ${problem.object ? `${problem.object}: ` : ''}${problem.message}\n`);
      const classes = { ingressClass: flags.ingressClass, controllerClass: flags.controllerClass, watchIngressWithoutClass: flags.watchIngressWithoutClass };
      const annotations = { prefix: flags.annotationsPrefix, allowSnippets: flags.allowSnippetAnnotations, sslPassthrough: flags.enableSslPassthrough };
      const snapshot = snapshotOf(collected.objects);
      const translation = translate(snapshot, {
        ...classes,
        annotations,
        gatewayControllerName: flags.gatewayControllerName,
        ...(flags.defaultBackendService ? { defaultBackendService: flags.defaultBackendService } : {}),
        // Nothing is rendered: the generated default certificate is not needed.
        fallbackCertificatePem: '',
        now: new Date(),
      });
      const dbs = flags.defaultBackendService;
      explanation = explainRequest(
        { translation, snapshot, classes, annotations, ports: { http: flags.httpPort, https: flags.httpsPort }, ...(dbs ? { defaultBackendService: `${dbs.namespace}/${dbs.name}:${dbs.port}` } : {}) },
        input,
      );
    }
  } catch (error) {
    if (!(error instanceof CollectError || error instanceof ExplainInputError)) throw error;
    await write(process.stderr, `error: ${error.message}\n`);
    return USAGE_ERROR;
  }
  await write(process.stdout, flags.output === 'json' ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanationText(explanation));
  return explainExitCode(explanation);
}
