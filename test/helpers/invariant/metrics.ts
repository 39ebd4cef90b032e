// Portero's /metrics (health port), read by the harness: reload reasons (to
// see which steps reloaded, and why) and the file-sync gauge.

/** `portero_dataplane_files_synced`: 1 when the files of the loaded generation reflect HAProxy's live state, 0 while a write is pending. */
export const FILES_SYNCED = 'portero_dataplane_files_synced';
export const RELOADS = 'portero_haproxy_reloads_total';

export interface Scrape {
  /** Undefined while Portero does not export the gauge. */
  filesSynced: number | undefined;
  /** Reloads so far, by reason. */
  reloads: Map<string, number>;
}

export async function scrape(healthPort: number): Promise<Scrape> {
  const response = await fetch(`http://127.0.0.1:${healthPort}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const text = await response.text();
  const reloads = new Map<string, number>();
  let filesSynced: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const sample = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!sample) continue;
    const [, name, labels = '', value] = sample;
    if (name === FILES_SYNCED) filesSynced = Number(value);
    if (name === RELOADS) {
      const reason = /reason="([^"]*)"/.exec(labels)?.[1] ?? '';
      reloads.set(reason, Number(value));
    }
  }
  return { filesSynced, reloads };
}

/** Reload reasons that happened between two scrapes (one entry per reload). */
export function reloadsBetween(before: Scrape, after: Scrape): string[] {
  const out: string[] = [];
  for (const [reason, count] of after.reloads) for (let i = before.reloads.get(reason) ?? 0; i < count; i += 1) out.push(reason);
  return out;
}
