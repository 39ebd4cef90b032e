// Renders benchmark results as Markdown (bench/results/latest.md).

import type { Machine } from './system.js';
import type { AnnotationsResult } from '../scenarios/annotations.js';
import type { CandidatesResult } from '../scenarios/candidates.js';
import type { ChurnResult } from '../scenarios/churn.js';
import { PLURAL, type GatewayResult, type GatewayStartupResult, type Kind } from '../scenarios/gateway.js';
import type { Distribution, LatencyResult } from '../scenarios/latency.js';
import type { StartupResult } from '../scenarios/startup.js';
import type { ThroughputResult } from '../scenarios/throughput.js';

interface Results {
  machine?: Machine;
  settings?: { rounds: number; seconds: number; samples: number; callgrind: boolean; churnIntervalMs: number; startupRuns?: number };
  throughput?: ThroughputResult[];
  annotations?: AnnotationsResult[];
  candidates?: CandidatesResult;
  gateway?: GatewayResult[];
  gatewayStartup?: GatewayStartupResult;
  latency?: LatencyResult[];
  kubeLatency?: Distribution;
  churn?: ChurnResult[];
  startup?: StartupResult[];
}

function table(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

export function render(raw: Record<string, unknown>): string {
  const results = raw as Results;
  const out: string[] = ['# Portero benchmark results', ''];
  const m = results.machine;
  if (m) {
    out.push(`Run ${m.date} on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), Linux ${m.kernel}; Node ${m.node}; ${m.haproxy}; ${m.nginx}; ${m.wrk}.`, '');
  }
  const s = results.settings;
  if (s) out.push(`Medians over ${s.rounds} interleaved round(s) of ${s.seconds} s (wrk -t1 -c50); ${s.samples} samples per latency figure.`, '');

  if (results.throughput) {
    out.push('## Throughput and proxy CPU per request', '', 'Same upstream (nginx `return 200`) behind each proxy, Host `example.com`. CPU time per request (user + system, all proxy processes) is the robust figure on a shared machine; req/s moves with whatever else runs.', '');
    for (const result of results.throughput) {
      out.push(`### ${result.ingresses.toLocaleString('en')} Ingress${result.ingresses === 1 ? '' : 'es'} loaded in Portero`, '');
      out.push(
        table(
          ['proxy', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/request', 'errors'],
          Object.entries(result.targets).map(([name, t]) => [name, t.requestsPerSecond, t.latencyP50Ms, t.latencyP99Ms, t.cpuMicrosecondsPerRequest, t.errors]),
        ),
        '',
        `CPU per request, hand-written HAProxy / Portero: **${result.cpuRatioHandWrittenOverPortero}** (bare HAProxy without forwarding headers / Portero: ${result.cpuRatioBareOverPortero}; nginx / Portero: ${result.cpuRatioNginxOverPortero}).`,
        '',
      );
      if (result.instructions) {
        const i = result.instructions;
        out.push(`Instructions per request (callgrind): Portero ${i.portero}, hand-written ${i.handWritten}, bare ${i.bare}; hand-written / Portero **${i.ratioHandWrittenOverPortero}**, bare / Portero ${i.ratioBareOverPortero}.`, '');
      }
    }
  }

  if (results.annotations) {
    out.push(
      '## Annotations: pay only for what you use',
      '',
      'Two Porteros with the same Ingresses: (a) none annotated, (b) a tenth carrying a realistic mix of ingress-nginx annotations (redirect, rewrite-target with use-regex, enable-cors, timeouts, allowlist-source-range admitting the load generator, proxy-body-size, basic auth with an `$apr1$` hash). wrk against a host never annotated (*plain*), the host carrying the mix in (b) (*mix*), and hosts carrying one annotation each in (b). CPU µs per request of the HAProxy processes (user + system). Target: the fleet, with requests spread evenly over the Ingresses (a tenth of them carrying the mix in (b)), costs at most 1.10 × per request in (b) what it costs in (a); requests to Ingresses without annotations cost the same (plain (b)/(a) about 1.0). The mix host alone shows what the annotated Ingresses pay.',
      '',
    );
    for (const result of results.annotations) {
      const t = result.targets;
      const row = (label: string, key: string) => [label, t[`a:${key}`]!.requestsPerSecond, t[`b:${key}`]!.requestsPerSecond, t[`a:${key}`]!.cpuMicrosecondsPerRequest, t[`b:${key}`]!.cpuMicrosecondsPerRequest, t[`a:${key}`]!.errors + t[`b:${key}`]!.errors];
      out.push(`### ${result.ingresses.toLocaleString('en')} Ingress${result.ingresses === 1 ? '' : 'es'} (${result.annotatedIngresses.toLocaleString('en')} annotated in (b))`, '');
      out.push(
        table(['host', 'req/s (a)', 'req/s (b)', 'CPU µs/req (a)', 'CPU µs/req (b)', 'errors'], [row('plain (never annotated)', 'plain'), row('mix', 'mix')]),
        '',
        `CPU per request (b)/(a): the fleet **${result.cpuRatioFleet}** (target ≤ 1.10), plain **${result.cpuRatioPlain}** (target ≈ 1.0), the mix host alone ${result.cpuRatioMix}. req/s (b)/(a): mix ${result.rpsRatioMix}, plain ${result.rpsRatioPlain}.`,
        '',
        table(
          ['annotation alone', 'status', 'req/s', 'CPU µs/req', 'CPU / plain host', 'CPU / same host unannotated'],
          Object.entries(result.features).map(([name, f]) => [`${name}${f.note ? ` (${f.note})` : ''}`, f.status, t[`b:feature:${name}`]!.requestsPerSecond, t[`b:feature:${name}`]!.cpuMicrosecondsPerRequest, f.cpuRatioOverPlain, f.cpuRatioOverUnannotated]),
        ),
        '',
      );
      if (result.instructions) {
        const i = result.instructions;
        out.push(`Instructions per request (callgrind): plain ${i.plainA} (a), ${i.plainB} (b), (b)/(a) **${i.ratioPlain}**; mix ${i.mixA} (a), ${i.mixB} (b), (b)/(a) ${i.ratioMix}; the fleet (b)/(a) **${i.ratioFleet}**.`, '');
        if (i.features) out.push(`Instructions per request each annotation adds (callgrind, its host in (b) minus the same host in (a)): ${Object.entries(i.features).map(([name, extra]) => `${name} ${extra > 0 ? '+' : ''}${extra}`).join(', ')}.`, '');
      }
    }
  }

  if (results.candidates) {
    const r = results.candidates;
    const t = r.targets;
    out.push(
      '## Request conditions and weighted splits: pay only for what you use',
      '',
      'Two HAProxys run by the data plane with models built by hand (not translated from HTTPRoutes, so that only the data plane\'s cost is measured; Portero translates HTTPRoute matches and weighted backendRefs into these same routes): *off*, no route has candidates (the capability is off); *on*, the same plain host plus a host whose route has 5 candidates (the request meets all five, the fifth matches) and a host whose route is one unconditional 50/50 split. CPU µs per request of the HAProxy processes, and ratios over the plain host in *off* (the baseline). Target: the plain host costs the same in both (≈ 1.0).',
      '',
      table(
        ['target', 'req/s', 'CPU µs/request', 'CPU / baseline', 'errors'],
        [
          ['plain host, capability off (baseline)', t['off:plain']!.requestsPerSecond, t['off:plain']!.cpuMicrosecondsPerRequest, 1, t['off:plain']!.errors],
          ['plain host, capability on', t['on:plain']!.requestsPerSecond, t['on:plain']!.cpuMicrosecondsPerRequest, r.cpuRatios.plainOn, t['on:plain']!.errors],
          ['5-candidate route', t['on:candidates']!.requestsPerSecond, t['on:candidates']!.cpuMicrosecondsPerRequest, r.cpuRatios.candidates, t['on:candidates']!.errors],
          ['50/50 split', t['on:split']!.requestsPerSecond, t['on:split']!.cpuMicrosecondsPerRequest, r.cpuRatios.split, t['on:split']!.errors],
        ],
      ),
      '',
    );
    if (r.instructions) {
      const i = r.instructions;
      out.push(`Instructions per request (callgrind): plain host ${i.plainOff} (off), ${i.plainOn} (on), on/off **${i.ratioPlainOn}**; 5-candidate route ${i.candidates} (**${i.ratioCandidates}** × baseline); 50/50 split ${i.split} (${i.ratioSplit} ×).`, '');
    }
  }

  if (results.gateway || results.gatewayStartup) out.push(...renderGateway(results.gateway ?? [], results.gatewayStartup));

  if (results.latency) {
    out.push('## Change to traffic', '', 'From the change reaching Portero (a manifest written and renamed into place) to the first request that sees it.', '');
    const rows: (string | number)[][] = [];
    for (const result of results.latency) {
      for (const [kind, d] of Object.entries(result.changes)) rows.push([result.ingresses.toLocaleString('en'), kind, d.p50Ms, d.p99Ms, d.maxMs, d.samples]);
    }
    out.push(table(['Ingresses', 'change', 'p50 ms', 'p99 ms', 'max ms', 'samples'], rows), '');
    out.push(`Reloads during these changes: ${results.latency.map((r) => `${r.reloads} at ${r.ingresses.toLocaleString('en')}`).join(', ')}.`, '');
  }
  if (results.kubeLatency) {
    const d = results.kubeLatency;
    out.push(`Kubernetes mode (in-repo API test server), new Ingress to first 200: p50 ${d.p50Ms} ms, p99 ${d.p99Ms} ms, max ${d.maxMs} ms (${d.samples} samples).`, '');
  }

  if (results.churn) {
    out.push('## Churn under load', '', 'wrk on one host while its endpoints, its routes, a certificate and the configuration structure change underneath.', '');
    out.push(
      table(
        ['Ingresses', 'changes', 'requests', 'failed', 'reloads (by reason)', 'new workers'],
        results.churn.map((c) => [
          c.ingresses.toLocaleString('en'),
          Object.entries(c.changes).map(([k, v]) => `${v} ${k}`).join(', '),
          c.wrk.requests,
          c.failedRequests,
          Object.entries(c.reloadsByReason).map(([k, v]) => `${v} ${k}`).join(', ') || '0',
          c.workerChanges,
        ]),
      ),
      '',
    );
  }

  if (results.startup) {
    const runs = results.startup[0]?.runs.length ?? 0;
    out.push(
      '## Start-up at scale',
      '',
      `10,000 Ingresses, each with its Service and EndpointSlice. Medians of ${runs} run(s). *Served*: from process start until /readyz answered and then every hundredth host (and the last) answered 200 from its upstream through HAProxy. *RSS*: VmRSS of the Portero Node process 25 s after start-up (in Kubernetes mode, after every Ingress status was written); *peak*: its VmHWM. Targets: served within 3 s, RSS at most 150 MiB.`,
      '',
      table(
        ['source', 'ready (s)', 'served (s)', 'status written (s)', 'Portero RSS (MiB)', 'Portero peak (MiB)', 'HAProxy RSS (MiB)', 'log lines'],
        results.startup.map((r) => [
          `${r.workload}: ${r.description}`,
          r.median.readySeconds,
          r.median.servedSeconds,
          r.median.statusSeconds ?? '',
          r.median.porteroRssMiB,
          r.median.porteroPeakMiB,
          r.median.haproxyRssMiB,
          r.median.logLines,
        ]),
      ),
      '',
      `Every run (served s / RSS MiB / peak MiB): ${results.startup.map((r) => `${r.workload} ${r.runs.map((run) => `${run.servedSeconds}/${run.porteroRssMiB}/${run.porteroPeakMiB}`).join(', ')}`).join('; ')}.`,
      '',
    );
  }
  return `${out.join('\n')}\n`;
}

/** HTTPRoutes against the same fleet as Ingresses (scenarios/gateway.ts). */
function renderGateway(results: readonly GatewayResult[], startup: GatewayStartupResult | undefined): string[] {
  const out: string[] = [
    '## HTTPRoutes against Ingresses',
    '',
    'The same fleet (each application its own host, PathPrefix `/`, its own Service on the shared upstream) written as Ingresses and as HTTPRoutes on one Gateway (HTTP listener, port 80), served by two Porteros side by side. wrk on `example.com` in both, interleaved rounds; CPU µs per request of the HAProxy processes. Goal: HTTPRoute / Ingress ≈ 1.0, and 0 reloads during the changes.',
    '',
  ];
  const both = (pick: (kind: Kind) => string | number) => [pick('Ingress'), pick('HTTPRoute')];
  if (results.length > 0) {
    out.push(
      table(
        ['routes', 'req/s Ingress', 'req/s HTTPRoute', 'CPU µs/req Ingress', 'CPU µs/req HTTPRoute', 'CPU HTTPRoute / Ingress', 'instructions/req Ingress', 'instructions/req HTTPRoute', 'instructions HTTPRoute / Ingress', 'errors'],
        results.map((r) => [
          r.routes.toLocaleString('en'),
          ...both((kind) => r.targets[kind].requestsPerSecond),
          ...both((kind) => r.targets[kind].cpuMicrosecondsPerRequest),
          `**${r.cpuRatioHTTPRouteOverIngress}**`,
          ...both((kind) => r.instructions?.[kind] ?? ''),
          r.instructions ? `**${r.instructions.ratioHTTPRouteOverIngress}**` : '',
          r.targets.Ingress.errors + r.targets.HTTPRoute.errors,
        ]),
      ),
      '',
      'Change to traffic (from the manifest renamed into place to the first request that sees it), p50 / p99 ms:',
      '',
      table(
        ['routes', 'change', 'Ingress', 'HTTPRoute', 'samples'],
        results.flatMap((r) =>
          Object.keys(r.latency.HTTPRoute).map((change) => [r.routes.toLocaleString('en'), change, ...both((kind) => `${r.latency[kind][change]!.p50Ms} / ${r.latency[kind][change]!.p99Ms}`), r.latency.HTTPRoute[change]!.samples]),
        ),
      ),
      '',
      `Reloads during these changes: ${results.map((r) => `${r.reloads.HTTPRoute} with HTTPRoutes and ${r.reloads.Ingress} with Ingresses at ${r.routes.toLocaleString('en')}`).join('; ')}.`,
      '',
    );
    for (const r of results) {
      for (const kind of ['Ingress', 'HTTPRoute'] as const) {
        if (r.reloadDetails[kind].length > 0) out.push(`Reloads with ${r.routes.toLocaleString('en')} ${PLURAL[kind]}, as Portero logged them: ${r.reloadDetails[kind].join('; ')}.`, '');
      }
    }
  }
  if (startup) {
    const runs = startup.runs.HTTPRoute.length;
    out.push(
      `Start-up with ${startup.routes.toLocaleString('en')} of each (JSON List files of 500 applications, as in the start-up section; medians of ${runs} run(s), ${startup.checked} hosts checked): served HTTPRoute / Ingress **${startup.servedRatioHTTPRouteOverIngress}**.`,
      '',
      table(
        ['fleet', 'ready (s)', 'served (s)', 'Portero RSS (MiB)', 'Portero peak (MiB)', 'HAProxy RSS (MiB)'],
        (['Ingress', 'HTTPRoute'] as const).map((kind) => {
          const m = startup.median[kind];
          return [`${startup.routes.toLocaleString('en')} ${PLURAL[kind]}`, m.readySeconds, m.servedSeconds, m.porteroRssMiB, m.porteroPeakMiB, m.haproxyRssMiB];
        }),
      ),
      '',
    );
  }
  return out;
}
