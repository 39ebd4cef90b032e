// Snippet rules (configuration-snippet, server-snippet, parsed into typed
// rules by translate/annotations/snippet-parser.ts) → backend lines. The
// `return` answers first (nginx's rewrite phase), then allow/deny in their
// order, first match wins (nginx's access phase), then the headers to the
// Service; response headers come last.

import type { SnippetRules } from '../../../model/features.js';
import * as c from '../config-lines.js';

export function snippetRequestLines(rules: SnippetRules | undefined): string[] {
  if (!rules) return [];
  const lines: string[] = [];
  const answer = rules.answer;
  if (answer?.location !== undefined) lines.push(c.line`  http-request redirect location '${c.logFormatText(answer.location)}' code ${c.int(answer.code)}`);
  else if (answer) lines.push(c.line`  http-request return status ${c.int(answer.code)} content-type text/plain string ${c.literalText(answer.text ?? '')}`);
  if (rules.access.length > 0) {
    // The first rule whose source matches decides; none matching: allowed, as nginx.
    for (const rule of rules.access) {
      const decision = rule.allow ? 'allow' : 'deny';
      const match = rule.source === 'all' ? '' : c.fragment` { src ${c.source(rule.source)} }`.text;
      lines.push(`  http-request set-var(txn.snippet_access) str(${decision}) if !{ var(txn.snippet_access) -m found }${match}`);
    }
    lines.push('  http-request deny deny_status 403 if { var(txn.snippet_access) -m str deny }');
  }
  for (const change of rules.request) {
    lines.push(change.value === undefined ? c.line`  http-request del-header ${c.fieldName(change.name)}` : c.line`  http-request set-header ${c.fieldName(change.name)} '${c.logFormatValue(change.value)}'`);
  }
  return lines;
}

export function snippetResponseLines(rules: SnippetRules | undefined): string[] {
  if (!rules) return [];
  return rules.response.map((change) =>
    change.value === undefined ? c.line`  http-response del-header ${c.fieldName(change.name)}` : c.line`  http-response set-header ${c.fieldName(change.name)} '${c.logFormatValue(change.value)}'`,
  );
}
