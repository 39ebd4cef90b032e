// The report for tools: the Report object itself, keys in a fixed order
// (the order report.ts builds them), two-space indentation. The schema is
// documented in docs/migrating-from-ingress-nginx.md.

import type { Report } from './report.js';

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
