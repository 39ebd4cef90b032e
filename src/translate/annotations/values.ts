// Reading one Ingress's annotations under the annotations prefix, with
// ingress-nginx's value syntax (Go's strconv for booleans and integers, nginx
// sizes and durations) and a problem for every value that is not exactly
// right. Pure.

export interface AnnotationProblem {
  /** The annotation name without prefix, e.g. `proxy-body-size`. */
  name: string;
  value: string;
  message: string;
  /**
   * ingress-nginx keeps serving the Ingress but denies its locations (503)
   * for invalid access-control annotations; for every other annotation an
   * invalid value leaves the whole Ingress out.
   */
  failClosed: boolean;
}

/** A value served with a part left out, as ingress-nginx leaves it out (a warning, the Ingress is served). */
export interface AnnotationNotice {
  name: string;
  value: string;
  message: string;
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** The annotations of one Ingress under one prefix, read by name. */
export class AnnotationValues {
  readonly problems: AnnotationProblem[] = [];
  readonly notices: AnnotationNotice[] = [];
  private readonly read = new Set<string>();

  constructor(
    private readonly annotations: Readonly<Record<string, string>>,
    readonly prefix: string,
    /** Values for annotations the Ingress does not set (the ConfigMap's global values). */
    private readonly defaults: Readonly<Record<string, string>> = {},
  ) {}

  /** Names (without prefix) of every annotation under the prefix. */
  names(): string[] {
    const start = `${this.prefix}/`;
    return Object.keys(this.annotations)
      .filter((key) => key.startsWith(start))
      .map((key) => key.slice(start.length));
  }

  /** Names under the prefix that no group read. */
  unread(): string[] {
    return this.names().filter((name) => !this.read.has(name));
  }

  /** The full annotation key, as users write it. */
  key(name: string): string {
    return `${this.prefix}/${name}`;
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  /** The value as written, or undefined. Marks the annotation as read. */
  raw(name: string): string | undefined {
    this.read.add(name);
    if (Object.hasOwn(this.annotations, this.key(name))) return this.annotations[this.key(name)];
    return Object.hasOwn(this.defaults, name) ? this.defaults[name] : undefined;
  }

  /** The value trimmed; an empty value counts as absent, as in ingress-nginx. */
  string(name: string): string | undefined {
    const value = this.raw(name)?.trim();
    return value === '' ? undefined : value;
  }

  problem(name: string, message: string, options: { failClosed?: boolean } = {}): undefined {
    this.problems.push({ name, value: this.raw(name) ?? '', message, failClosed: options.failClosed ?? false });
    return undefined;
  }

  /** A part of the value is left out, as ingress-nginx leaves it out; the Ingress is served. */
  notice(name: string, message: string): void {
    this.notices.push({ name, value: this.raw(name) ?? '', message });
  }

  /** Go's strconv.ParseBool, as ingress-nginx reads booleans. */
  bool(name: string, options: { failClosed?: boolean } = {}): boolean | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (TRUE.has(value.trim())) return true;
    if (FALSE.has(value.trim())) return false;
    return this.problem(name, 'must be true or false', options);
  }

  /** A decimal integer within [min, max]. */
  int(name: string, min: number, max: number, options: { failClosed?: boolean } = {}): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^[+-]?[0-9]{1,10}$/.test(value)) return this.problem(name, 'must be a whole number', options);
    const number = Number(value);
    if (number < min || number > max) return this.problem(name, `must be between ${min} and ${max}`, options);
    return number;
  }

  /** A comma-separated list, items trimmed, empty items dropped. */
  list(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, K: 1024, m: 1024 ** 2, M: 1024 ** 2, g: 1024 ** 3, G: 1024 ** 3 };

/** An nginx size (`8m`, `512k`, `1048576`); bytes, or undefined when malformed. */
export function parseNginxSize(value: string): number | undefined {
  const match = /^([0-9]{1,12})([kKmMgG]?)$/.exec(value.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * SIZE_UNITS[match[2]!]!;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
