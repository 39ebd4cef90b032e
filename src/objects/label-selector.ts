// A label selector written as text, as kubectl's `-l` and ingress-nginx's
// `--watch-namespace-selector` take it (apimachinery labels.Parse):
// requirements joined by commas, each `key`, `!key`, `key=value`,
// `key==value`, `key!=value`, `key in (a,b)` or `key notin (a,b)`. Parsed
// into the structured `metav1.LabelSelector` that selectorMatches reads, so
// one matcher serves both. `!=` and `notin` also select objects without the
// key, as in Kubernetes. Pure.

import type { LabelSelector } from './gateway-types.js';
import { qualifiedName } from './grammar.js';

type Expression = LabelSelector['matchExpressions'][number];

const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(key: string, requirement: string): string | undefined {
  const problems = qualifiedName(key);
  return problems.length > 0 ? `${JSON.stringify(requirement)}: key ${JSON.stringify(key)}: ${problems[0]}` : undefined;
}

function checkValue(value: string, requirement: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    return `${JSON.stringify(requirement)}: value ${JSON.stringify(value)} must be at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`;
  }
  return undefined;
}

/** Splits on the commas outside parentheses. */
function requirements(text: string): string[] | string {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    if (depth < 0 || depth > 1) return 'unbalanced parentheses';
    if (char === ',' && depth === 0) {
      parts.push(text.slice(start, index).trim());
      start = index + 1;
    }
  }
  if (depth !== 0) return 'unbalanced parentheses';
  parts.push(text.slice(start).trim());
  return parts;
}

function parseRequirement(requirement: string): Expression | string {
  const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(requirement);
  if (set) {
    const [, key, operator, list] = set as unknown as [string, string, string, string];
    const values = list.split(',').map((value) => value.trim());
    const problem = checkKey(key, requirement) ?? values.map((value) => checkValue(value, requirement)).find((found) => found !== undefined);
    if (problem) return problem;
    return { key, operator: operator === 'in' ? 'In' : 'NotIn', values };
  }
  const equality = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(requirement);
  if (equality) {
    const [, key, operator, value] = equality as unknown as [string, string, string, string];
    const problem = checkKey(key, requirement) ?? checkValue(value, requirement);
    if (problem) return problem;
    return { key, operator: operator === '!=' ? 'NotIn' : 'In', values: [value] };
  }
  const existence = /^(!?)\s*([^\s=!<>(),]+)$/.exec(requirement);
  if (existence) {
    const [, not, key] = existence as unknown as [string, string, string];
    const problem = checkKey(key, requirement);
    if (problem) return problem;
    return { key, operator: not === '!' ? 'DoesNotExist' : 'Exists', values: [] };
  }
  return `${JSON.stringify(requirement)} is not a requirement: use key, !key, key=value, key!=value, key in (a,b) or key notin (a,b)`;
}

/** The selector, or what is wrong with the text. An empty text selects everything. */
export function parseLabelSelector(text: string): { selector: LabelSelector } | { error: string } {
  if (text.trim() === '') return { selector: { matchLabels: {}, matchExpressions: [] } };
  const parts = requirements(text);
  if (typeof parts === 'string') return { error: parts };
  const matchExpressions: Expression[] = [];
  for (const part of parts) {
    if (part === '') return { error: 'an empty requirement (two commas in a row, or a comma at an end)' };
    const parsed = parseRequirement(part);
    if (typeof parsed === 'string') return { error: parsed };
    matchExpressions.push(parsed);
  }
  return { selector: { matchLabels: {}, matchExpressions } };
}
