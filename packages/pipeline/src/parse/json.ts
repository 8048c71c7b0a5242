import { PipelineError } from '../errors.js';

/** What a JSON value is, for error messages ("a string ('abc')", "an array of 3", "null"). */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : `the number ${v}`;
  if (typeof v === 'boolean') return `${v}`;
  return `${typeof v === 'object' ? 'an object' : typeof v}`;
}

/** Bare tokens some writers (XGBoost, Python's json) put where JSON has no number, and their strings. */
const NON_FINITE_TOKENS: Record<string, string> = { NaN: 'nan', Infinity: 'inf', '-Infinity': '-inf' };

/**
 * A model file's JSON: text (or bytes) is parsed; an object is copied through JSON text, so that
 * a model object (e.g. the result of an ml.js `toJSON()`, which may hold class instances) reads
 * exactly as the file it would save. With `nonFiniteTokens`, text that is JSON but for bare NaN
 * and ±Infinity tokens is read with them as the strings "nan", "inf" and "-inf". Anything
 * unreadable is a {@link PipelineError}.
 */
export function readJsonDocument(source: unknown, what: string, nonFiniteTokens = false): unknown {
  let text: string;
  if (typeof source === 'string') text = source;
  else if (source instanceof Uint8Array) text = new TextDecoder().decode(source);
  else if (typeof source === 'object' && source !== null) {
    try {
      text = JSON.stringify(source);
    } catch (e) {
      throw new PipelineError(`the ${what} object cannot be written as JSON: ${(e as Error).message}`);
    }
  } else {
    throw new PipelineError(`expected the ${what} as JSON text, bytes or an object, got ${describe(source)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    if (nonFiniteTokens) {
      const quoted = text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (m) =>
        m[0] === '"' ? m : `"${NON_FINITE_TOKENS[m]}"`,
      );
      try {
        return JSON.parse(quoted);
      } catch {
        // Not that either: report the original error.
      }
    }
    throw new PipelineError(`the ${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Numbers JSON cannot hold, as the exporters write them. */
const SPECIAL: Record<string, number> = { nan: Number.NaN, inf: Infinity, '-inf': -Infinity };

/**
 * Reads one value of an untrusted JSON document, every failure a {@link PipelineError} naming the
 * value's path, what was expected and what came.
 */
export class JsonReader {
  constructor(
    readonly value: unknown,
    /** Where the value is, e.g. `estimator.steps[1].estimator.coef_`. */
    readonly path: string,
  ) {}

  /** Throws a {@link PipelineError} at this value's path. */
  fail(why: string): never {
    throw new PipelineError(why, this.path);
  }

  private expected(what: string): never {
    return this.fail(`expected ${what}, got ${describe(this.value)}`);
  }

  private object(): Record<string, unknown> {
    const v = this.value;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.expected('an object');
    return v as Record<string, unknown>;
  }

  /** Whether this object has `key` (and it is not null). */
  has(key: string): boolean {
    const v = this.object()[key];
    return v !== undefined && v !== null;
  }

  /** The object field `key`, which must be present. */
  at(key: string): JsonReader {
    const o = this.object();
    const child = new JsonReader(o[key], `${this.path}.${key}`);
    if (!Object.hasOwn(o, key)) child.fail('is missing');
    return child;
  }

  /** The object field `key`, or undefined when absent or null. */
  optional(key: string): JsonReader | undefined {
    return this.has(key) ? this.at(key) : undefined;
  }

  /** The array's items. */
  items(): JsonReader[] {
    if (!Array.isArray(this.value)) this.expected('an array');
    return (this.value as unknown[]).map((v, i) => new JsonReader(v, `${this.path}[${i}]`));
  }

  /** The array's items; there must be `n`. */
  itemsOf(n: number): JsonReader[] {
    const items = this.items();
    if (items.length !== n) this.fail(`expected ${n} entries, got ${items.length}`);
    return items;
  }

  string(): string {
    if (typeof this.value !== 'string') this.expected('a string');
    return this.value as string;
  }

  boolean(): boolean {
    if (typeof this.value !== 'boolean') this.expected('true or false');
    return this.value as boolean;
  }

  /** One of `options` (strings), the message listing them. */
  oneOf<T extends string>(options: readonly T[]): T {
    const v = this.value;
    if (typeof v !== 'string' || !options.includes(v as T))
      this.fail(`expected one of ${options.map((o) => `'${o}'`).join(', ')}, got ${describe(v)}`);
    return v as T;
  }

  /**
   * A number; with `special`, also the strings "nan", "inf" and "-inf". Finite unless `special`.
   */
  number(special = false): number {
    const v = this.value;
    if (typeof v === 'number' && (special || Number.isFinite(v))) return v;
    if (special && typeof v === 'string' && v in SPECIAL) return SPECIAL[v];
    return this.expected(special ? 'a number (or "nan", "inf", "-inf")' : 'a finite number');
  }

  /** An integer in [min, max]. */
  integer(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.value;
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max))
      this.expected(`an integer in ${min}..${max}`);
    return v as number;
  }

  /** A number written as a string (XGBoost writes its parameters so), or a number. */
  numberText(): number {
    const v = this.value;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : Number.NaN;
    if (!Number.isFinite(n)) this.expected('a finite number (or one written as a string)');
    return n;
  }

  /** An array of numbers (see {@link number} for `special`); `length` when given. */
  numbers(special = false, length?: number): number[] {
    const v = this.value;
    if (!Array.isArray(v)) this.expected('an array of numbers');
    const arr = v as unknown[];
    if (length !== undefined && arr.length !== length)
      this.fail(`expected ${length} numbers, got ${arr.length}`);
    const out = new Array<number>(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const x = arr[i];
      if (typeof x === 'number' && (special || Number.isFinite(x))) out[i] = x;
      else if (special && typeof x === 'string' && x in SPECIAL) out[i] = SPECIAL[x];
      else this.fail(`entry ${i}: expected a ${special ? '' : 'finite '}number, got ${describe(x)}`);
    }
    return out;
  }

  /** An array of integers in [min, max]; `length` when given. */
  integers(min: number, max: number, length?: number): number[] {
    const out = this.numbers(false, length);
    for (let i = 0; i < out.length; i++) {
      const x = out[i];
      if (!(Number.isInteger(x) && x >= min && x <= max))
        this.fail(`entry ${i}: expected an integer in ${min}..${max}, got ${x}`);
    }
    return out;
  }

  /** An array of 0/1 flags, written as numbers or as booleans; `length` when given. */
  flags(length?: number): Uint8Array {
    const v = this.value;
    if (!Array.isArray(v)) this.expected('an array of 0/1 flags');
    const arr = v as unknown[];
    if (length !== undefined && arr.length !== length)
      this.fail(`expected ${length} flags, got ${arr.length}`);
    const out = new Uint8Array(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const x = arr[i];
      if (x === 1 || x === true) out[i] = 1;
      else if (x !== 0 && x !== false)
        this.fail(`entry ${i}: expected 0, 1, true or false, got ${describe(x)}`);
    }
    return out;
  }

  /** A matrix as an array of rows, all of `columns` numbers (when given) and finite. */
  matrix(columns?: number): number[][] {
    const rows = this.items().map((r) => r.numbers(false, columns));
    const width = columns ?? rows[0]?.length;
    rows.forEach((r, i) => {
      if (r.length !== width) this.fail(`row ${i} has ${r.length} numbers, row 0 has ${width}`);
    });
    return rows;
  }

  /** Class labels: all numbers or all strings, distinct. */
  labels(): number[] | string[] {
    const v = this.value;
    if (!Array.isArray(v) || v.length === 0) this.expected('a non-empty array of class labels');
    const arr = v as unknown[];
    const strings = arr.every((x) => typeof x === 'string');
    if (!strings && !arr.every((x) => typeof x === 'number' && Number.isFinite(x)))
      this.fail('class labels must be all numbers or all strings');
    if (new Set(arr).size !== arr.length) this.fail('lists a class label twice');
    return arr as number[] | string[];
  }
}
