// Snippet annotations hold raw nginx configuration. Portero never pastes
// configuration: without --allow-snippet-annotations (the default, as in
// ingress-nginx since 1.9) an Ingress carrying one is refused, with
// ingress-nginx's message.

// With the flag, configuration-snippet and server-snippet are parsed into
// typed rules (snippet-parser.ts); a directive outside the subset refuses the
// Ingress, naming the directive. auth-, stream- and modsecurity-snippet are
// always refused.

import type { AnnotationGroup } from './group.js';
import { parseSnippet, type SnippetRules } from './snippet-parser.js';

export const SNIPPETS = ['configuration-snippet', 'server-snippet', 'auth-snippet', 'stream-snippet', 'modsecurity-snippet'] as const;
const PARSED = ['server-snippet', 'configuration-snippet'] as const;

export const snippets: AnnotationGroup = {
  annotations: {
    'configuration-snippet': { status: 'difference', note: 'refused unless --allow-snippet-annotations; then only header directives, allow, deny and return are accepted' },
    'server-snippet': { status: 'difference', note: 'refused unless --allow-snippet-annotations; then only header directives, allow, deny and return are accepted, applied to the paths of this Ingress' },
    'auth-snippet': { status: 'difference', note: 'always refused' },
    'stream-snippet': { status: 'difference', note: 'always refused' },
    'modsecurity-snippet': { status: 'difference', note: 'always refused' },
  },
  read(values, features, settings) {
    const rules: SnippetRules = { request: [], response: [], access: [] };
    for (const name of SNIPPETS) {
      const text = values.raw(name);
      if (text === undefined) continue;
      if (!settings.allowSnippets) {
        values.problem(name, `${values.key(name)} annotation cannot be used. Snippet directives are disabled by the Ingress administrator (--allow-snippet-annotations)`);
        continue;
      }
      if (!(PARSED as readonly string[]).includes(name)) {
        values.problem(name, 'this snippet is not supported: Portero parses only configuration-snippet and server-snippet');
        continue;
      }
      const parsed = parseSnippet(text);
      if (!parsed.ok) {
        values.problem(name, parsed.problem);
        continue;
      }
      rules.request.push(...parsed.rules.request);
      rules.response.push(...parsed.rules.response);
      rules.access.push(...parsed.rules.access);
      if (parsed.rules.answer) rules.answer ??= parsed.rules.answer;
    }
    if (rules.request.length + rules.response.length + rules.access.length > 0 || rules.answer) features.snippet = rules;
  },
};
