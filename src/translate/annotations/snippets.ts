// Snippet annotations hold raw nginx configuration. Portero never pastes
// configuration: without --allow-snippet-annotations (the default, as in
// ingress-nginx since 1.9) an Ingress carrying one is refused, with
// ingress-nginx's message.

import type { AnnotationGroup } from './group.js';

export const SNIPPETS = ['configuration-snippet', 'server-snippet', 'auth-snippet', 'stream-snippet', 'modsecurity-snippet'] as const;

export const snippets: AnnotationGroup = {
  annotations: Object.fromEntries(SNIPPETS.map((name) => [name, { status: 'difference' as const, note: 'refused unless --allow-snippet-annotations; then only a safe subset of directives is accepted' }])),
  read(values, _features, settings) {
    for (const name of SNIPPETS) {
      if (!values.has(name)) continue;
      if (!settings.allowSnippets) {
        values.problem(name, `${values.key(name)} annotation cannot be used. Snippet directives are disabled by the Ingress administrator (--allow-snippet-annotations)`);
      } else {
        values.problem(name, 'snippets are not supported yet; the Ingress is refused rather than served without it');
      }
    }
  },
};
