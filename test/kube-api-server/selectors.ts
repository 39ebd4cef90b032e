// Label and field selectors, as the API server parses them.

export type Matcher = (object: Record<string, any>) => boolean;

export class SelectorError extends Error {}

interface Requirement {
  key: string;
  op: 'exists' | 'notexists' | '=' | '!=' | 'in' | 'notin';
  values: string[];
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim() !== '') terms.push(current.trim());
  return terms;
}

function parseLabelRequirement(term: string): Requirement {
  let match = /^([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (match) return { key: match[1]!, op: match[2] as 'in' | 'notin', values: match[3]!.split(',').map((v) => v.trim()).filter(Boolean) };
  match = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(term);
  if (match) return { key: match[1]!, op: match[2] === '!=' ? '!=' : '=', values: [match[3]!] };
  match = /^!([^\s!=(),]+)$/.exec(term);
  if (match) return { key: match[1]!, op: 'notexists', values: [] };
  match = /^([^\s!=(),]+)$/.exec(term);
  if (match) return { key: match[1]!, op: 'exists', values: [] };
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}`);
}

function satisfies(requirement: Requirement, value: string | undefined): boolean {
  switch (requirement.op) {
    case 'exists':
      return value !== undefined;
    case 'notexists':
      return value === undefined;
    case '=':
      return value === requirement.values[0];
    case '!=':
      return value !== requirement.values[0];
    case 'in':
      return value !== undefined && requirement.values.includes(value);
    case 'notin':
      return value === undefined || !requirement.values.includes(value);
  }
}

export function labelSelector(text: string | null): Matcher {
  if (!text) return () => true;
  const requirements = splitTerms(text).map(parseLabelRequirement);
  return (object) => requirements.every((requirement) => satisfies(requirement, object.metadata?.labels?.[requirement.key]));
}

export function fieldSelector(text: string | null, fields: Record<string, (object: Record<string, any>) => string | undefined>): Matcher {
  if (!text) return () => true;
  const requirements = splitTerms(text).map((term) => {
    const match = /^([^!=]+)(==|=|!=)(.*)$/.exec(term);
    if (!match) throw new SelectorError(`invalid selector: ${JSON.stringify(term)}`);
    const field = match[1]!.trim();
    const read = fields[field];
    if (!read) throw new SelectorError(`field label not supported: ${field}`);
    return { read, negate: match[2] === '!=', value: match[3]!.trim() };
  });
  return (object) => requirements.every((requirement) => (read(requirement, object) === requirement.value) !== requirement.negate);
}

function read(requirement: { read: (object: Record<string, any>) => string | undefined }, object: Record<string, any>): string {
  return requirement.read(object) ?? '';
}
