// `portero migrate`: reads the Ingresses ingress-nginx serves (from a
// directory of manifests or the Kubernetes API), and prints what Portero
// would do with each annotation, the ConfigMap keys and a summary. Exit
// status: 0 everything served the same, 1 something differs (or could not be
// read), 2 usage error or no input. See docs/migrating-from-ingress-nginx.md.

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import * as grammar from '../../objects/grammar.js';
import { parseAnnotationsPrefix, parseNamespacedName } from '../flags.js';
import { classify, type MigrateSettings } from './classify.js';
import { collectKube, collectManifests, CollectError, type ConfigMapRef } from './collect.js';
import { renderJson } from './render-json.js';
import { renderText } from './render-text.js';

export const USAGE_ERROR = 2;

interface MigrateFlags {
  manifests?: string;
  kubeconfig?: string;
  ingressClass: string;
  controllerClass: string;
  watchIngressWithoutClass: boolean;
  annotationsPrefix: string;
  allowSnippetAnnotations: boolean;
  configmap?: ConfigMapRef;
  output: 'text' | 'json';
}

function parseClassName(value: string): string {
  if (grammar.objectName(value).length > 0) throw new InvalidArgumentError('must be a valid IngressClass name.');
  return value;
}

export function buildMigrateCommand(): Command {
  // Defaults are ingress-nginx's, not Portero's: the report is about what ingress-nginx serves today.
  return new Command('portero migrate')
    .description("Report how Portero would serve the Ingresses ingress-nginx serves today: per annotation, supported, supported with a difference, ignored, refused or unknown; the ConfigMap's keys; a summary. Exit status 0 when every Ingress would be served the same, 1 when any would differ, 2 for usage errors.")
    .helpOption('-h, --help', 'Show this help.')
    .addOption(new Option('--manifests <dir>', 'Read the objects from YAML/JSON manifests under DIR (recursively), e.g. the output of kubectl get ingress,ingressclass,service -A -o yaml.'))
    .addOption(new Option('--kubeconfig <file>', 'Read the objects from the Kubernetes API with this kubeconfig (default: $KUBECONFIG, else in-cluster config). Used when --manifests is not given.'))
    .addOption(new Option('--ingress-class <name>', 'IngressClass name ingress-nginx serves (its --ingress-class).').default('nginx').argParser(parseClassName))
    .addOption(new Option('--controller-class <name>', 'spec.controller of the IngressClasses ingress-nginx serves (its --controller-class).').default('k8s.io/ingress-nginx'))
    .addOption(new Option('--watch-ingress-without-class', 'ingress-nginx also serves Ingresses that name no class.').default(false))
    .addOption(new Option('--annotations-prefix <prefix>', 'Prefix of the ingress-nginx annotations (its --annotations-prefix).').default('nginx.ingress.kubernetes.io').argParser(parseAnnotationsPrefix))
    .addOption(new Option('--allow-snippet-annotations', 'Report as Portero started with --allow-snippet-annotations would serve.').default(false))
    .addOption(new Option('--configmap <ns/name>', "ingress-nginx's ConfigMap (its --configmap, e.g. ingress-nginx/ingress-nginx-controller): report its keys.").argParser(parseNamespacedName))
    .addOption(new Option('-o, --output <format>', 'text for people, json for tools (schema in docs/migrating-from-ingress-nginx.md).').choices(['text', 'json']).default('text'))
    .showHelpAfterError('(run portero migrate --help for every flag)')
    .allowExcessArguments(false)
    .exitOverride();
}

export function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  // Waits for the text to be handed over: a large report piped to another program must not be cut by the exit.
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

/**
 * Parses a subcommand's arguments; the exit status when parsing ends the run
 * (help and version: 0, printed by commander; any other parse error, already
 * printed: USAGE_ERROR), undefined to go on.
 */
export function parseSubcommand(command: Command, argv: readonly string[]): number | undefined {
  try {
    command.parse([...argv], { from: 'user' });
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : USAGE_ERROR;
    throw error;
  }
}

/** Runs `portero migrate` with its arguments (after `migrate`); resolves with the exit status. */
export async function runMigrate(argv: readonly string[]): Promise<number> {
  const command = buildMigrateCommand();
  const parsed = parseSubcommand(command, argv);
  if (parsed !== undefined) return parsed;
  const flags = command.opts<MigrateFlags>();
  if (flags.manifests !== undefined && flags.kubeconfig !== undefined) {
    await write(process.stderr, 'error: give either --manifests or --kubeconfig, not both\n');
    return USAGE_ERROR;
  }
  const settings: MigrateSettings = {
    ingressClass: flags.ingressClass,
    controllerClass: flags.controllerClass,
    watchIngressWithoutClass: flags.watchIngressWithoutClass,
    annotations: { prefix: flags.annotationsPrefix, allowSnippets: flags.allowSnippetAnnotations },
  };
  let collected;
  try {
    collected = flags.manifests !== undefined ? await collectManifests(flags.manifests, flags.configmap) : await collectKube(flags.kubeconfig, flags.configmap);
  } catch (error) {
    if (!(error instanceof CollectError)) throw error;
    await write(process.stderr, `error: ${error.message}\n`);
    return USAGE_ERROR;
  }
  const report = classify(collected, settings, new Date());
  await write(process.stdout, flags.output === 'json' ? renderJson(report) : renderText(report));
  return report.exitCode;
}
