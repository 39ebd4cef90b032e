// What the dashboard shows, kept up to date by the controller's applies: the
// last served translation (and the objects it was made of), a generation
// number that grows with every apply, and a bounded list of the last
// changes. Tables are built lazily, once per generation, whatever the
// number of dashboards asking.

import { X509Certificate } from 'node:crypto';
import type { ApplyEvent } from '../../cli/controller.js';
import { splitLevelHost, type Certificate } from '../../model/model.js';
import type { Snapshot, Translation } from '../../translate/translate.js';
import { buildRouteTable, type RouteTable } from './routes.js';

export interface Change {
  generation: number;
  time: string;
  /** start, runtime, reload, rejected, stopping, pending-restart, fallback. */
  method: string;
  reason?: string;
  detail?: string;
  durationMs: number;
  /** Runtime changes: servers, map entries and certificates changed. */
  counts?: Record<string, number>;
}

export interface HostRow {
  host: string;
  /** Gateway API scope (a listener's addresses and port); absent for Ingress levels. */
  scope?: string;
  routes: number;
  fallback: string;
  redirect: boolean;
  clientAuth: boolean;
}

export interface CertificateRow {
  id: string;
  /** `namespace/secret`, or `default`. */
  secret: string;
  hosts: string[];
  subject: string;
  issuer: string;
  notAfter: string;
  daysLeft: number;
}

export interface DiagnosticRow {
  severity: string;
  object: string;
  field: string;
  message: string;
  /** Refused before translation: the manifest `file:line`. */
  location?: string;
}

const MAX_CHANGES = 100;

export interface ServedView {
  time: Date;
  snapshot: Snapshot;
  translation: Translation;
}

const certificateFacts = new WeakMap<Certificate, Omit<CertificateRow, 'daysLeft'>>();

/** Subject, issuer and expiry of a served certificate, read once per certificate object. */
export function certificateRow(certificate: Certificate, now: number): CertificateRow {
  let facts = certificateFacts.get(certificate);
  if (!facts) {
    const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(certificate.pem)?.[0];
    let subject = '';
    let issuer = '';
    let notAfter = '';
    try {
      if (block) {
        const x509 = new X509Certificate(block);
        subject = x509.subject.replace(/\n/g, ', ');
        issuer = x509.issuer.replace(/\n/g, ', ');
        notAfter = new Date(x509.validTo).toISOString();
      }
    } catch {
      // Translate re-encoded it, so this does not happen; an empty row says so if it does.
    }
    const at = certificate.id.indexOf('_');
    const secret = at === -1 ? certificate.id : `${certificate.id.slice(0, at)}/${certificate.id.slice(at + 1)}`;
    facts = { id: certificate.id, secret, hosts: certificate.hosts, subject, issuer, notAfter };
    certificateFacts.set(certificate, facts);
  }
  const daysLeft = facts.notAfter ? Math.floor((Date.parse(facts.notAfter) - now) / 86_400_000) : 0;
  return { ...facts, daysLeft };
}

export class DashboardState {
  generation = 0;
  served: ServedView | undefined;
  private readonly changeList: Change[] = [];
  private readonly listeners = new Set<(generation: number) => void>();
  private tables: { generation: number; routes: RouteTable; hosts: HostRow[]; diagnostics: DiagnosticRow[] } | undefined;

  constructor(private readonly annotationsPrefix: string) {}

  /** The controller's hook: every apply bumps the generation and tells the open pages. */
  record(event: ApplyEvent): void {
    this.generation += 1;
    const outcome = event.outcome;
    if (outcome.status !== 'rejected' && outcome.status !== 'fallback' && outcome.status !== 'stopping') {
      this.served = { time: event.time, snapshot: event.snapshot, translation: event.translation };
    }
    if (outcome.status !== 'unchanged') {
      const change: Change = { generation: this.generation, time: event.time.toISOString(), method: outcome.status === 'reloaded' ? 'reload' : outcome.status, durationMs: Math.round(('durationMs' in outcome ? outcome.durationMs : event.durationMs) * 10) / 10 };
      if ('reason' in outcome) change.reason = outcome.reason;
      if ('detail' in outcome) change.detail = outcome.detail;
      if ('counts' in outcome) change.counts = { ...outcome.counts };
      this.changeList.unshift(change);
      this.changeList.length = Math.min(this.changeList.length, MAX_CHANGES);
    }
    for (const listener of this.listeners) listener(this.generation);
  }

  /** Newest first. */
  get changes(): readonly Change[] {
    return this.changeList;
  }

  onChange(listener: (generation: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The tables of the served translation, built at most once per generation. */
  current(): { routes: RouteTable; hosts: HostRow[]; diagnostics: DiagnosticRow[] } | undefined {
    const served = this.served;
    if (!served) return undefined;
    if (this.tables?.generation !== this.generation) {
      const { model, diagnostics } = served.translation;
      const redirect = new Set(model.redirectHosts);
      const clientAuth = new Set((model.clientAuth ?? []).map((auth) => auth.host));
      this.tables = {
        generation: this.generation,
        routes: buildRouteTable(served.snapshot, served.translation, this.annotationsPrefix),
        hosts: model.levels.map((level) => {
          const { host, scope } = splitLevelHost(level.host);
          return { host: host || '*', ...(scope ? { scope } : {}), routes: level.routes.length, fallback: level.fallback.kind === 'backend' ? level.fallback.id : level.fallback.kind, redirect: redirect.has(level.host), clientAuth: clientAuth.has(level.host) };
        }),
        diagnostics: diagnostics.map((d) => ({ severity: d.severity, object: `${d.object.kind} ${d.object.namespace ? `${d.object.namespace}/` : ''}${d.object.name}`, field: d.field ?? '', message: d.message })),
      };
    }
    return this.tables;
  }
}
