// Field-level problems, named the way Kubernetes names them
// (`spec.rules[0].http.paths[1].pathType`), with the raw path kept so a
// source can point at the line that holds the field.

export type FieldPath = readonly (string | number)[];

export interface FieldError {
  path: FieldPath;
  message: string;
}

export function formatPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z0-9_]+$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(object)' : out;
}

export function formatFieldError(error: FieldError): string {
  return `${formatPath(error.path)}: ${error.message}`;
}

/** Adds one error per problem reported by a grammar check. */
export function collect(errors: FieldError[], path: FieldPath, value: string | number, problems: string[]): void {
  for (const problem of problems) {
    const shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : String(value);
    errors.push({ path, message: `Invalid value: ${shown}: ${problem}` });
  }
}
