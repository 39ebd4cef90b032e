// `portero check`: reads the objects (a directory of manifests, or the
// Kubernetes API, listed once) and prints what Portero would serve and the
// status it would write, without serving. Exit status: 0 everything accepted
// and resolved, 1 something is not, 2 usage error or no input.

import { Command, Option } from 'commander';
import { snapshotOf, translate } from '../../translate/translate.js';
import { collectKube, collectManifests, CollectError } from '../migrate/collect.js';
import { parseSubcommand, USAGE_ERROR, write } from '../migrate/command.js';
import { checkReport, renderCheckText } from './report.js';

interface CheckFlags {
  manifests?: string;
  kubeconfig?: string;
  ingressClass: string;
  controllerClass: string;
  gatewayControllerName: string;
  output: 'text' | 'json';
}

function buildCommand(): Command {
  return new Command('portero check')
    .description('Print every GatewayClass, Gateway, listener and route with the status Portero would write, the Ingresses it would serve, and every diagnostic, without serving. Exit status 0 when everything is accepted and resolved, 1 otherwise, 2 for usage errors.')
    .helpOption('-h, --help', 'Show this help.')
    .addOption(new Option('--manifests <dir>', 'Read the objects from YAML/JSON manifests under DIR (recursively).'))
    .addOption(new Option('--kubeconfig <file>', 'Read the objects from the Kubernetes API with this kubeconfig (default: $KUBECONFIG, else in-cluster config). Used when --manifests is not given.'))
    .addOption(new Option('--ingress-class <name>', 'As the controller flag.').default('portero'))
    .addOption(new Option('--controller-class <name>', 'As the controller flag.').default('portero.dev/ingress-controller'))
    .addOption(new Option('--gateway-controller-name <name>', 'As the controller flag.').default('portero.dev/gateway-controller'))
    .addOption(new Option('-o, --output <format>', 'text for people, json for tools.').choices(['text', 'json']).default('text'))
    .allowExcessArguments(false)
    .exitOverride();
}

export async function runCheck(argv: readonly string[]): Promise<number> {
  const command = buildCommand();
  const parsed = parseSubcommand(command, argv);
  if (parsed !== undefined) return parsed;
  const flags = command.opts<CheckFlags>();
  if (flags.manifests !== undefined && flags.kubeconfig !== undefined) {
    await write(process.stderr, 'error: give either --manifests or --kubeconfig, not both\n');
    return USAGE_ERROR;
  }
  let collected;
  try {
    collected = flags.manifests !== undefined ? await collectManifests(flags.manifests) : await collectKube(flags.kubeconfig, undefined, true);
  } catch (error) {
    if (!(error instanceof CollectError)) throw error;
    await write(process.stderr, `error: ${error.message}\n`);
    return USAGE_ERROR;
  }
  const translation = translate(snapshotOf(collected.objects), {
    ingressClass: flags.ingressClass,
    controllerClass: flags.controllerClass,
    watchIngressWithoutClass: false,
    gatewayControllerName: flags.gatewayControllerName,
    // Nothing is rendered: the default certificate is never looked at.
    fallbackCertificatePem: '',
    now: new Date(),
  });
  const report = checkReport(translation);
  for (const problem of collected.problems) await write(process.stderr, `${problem.source}${problem.line !== undefined ? `:${problem.line}` : ''}: ${problem.object ? `${problem.object}: ` : ''}${problem.field ? `${problem.field}: ` : ''}${problem.message}\n`);
  await write(process.stdout, flags.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderCheckText(report, translation));
  return collected.problems.length > 0 ? Math.max(report.exitCode, 1) : report.exitCode;
}
