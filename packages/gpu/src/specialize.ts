import type { ParamBlock, ParamSchema } from './params.js';

/**
 * Implemented by objects that may appear in the options of {@link specialize} without being plain
 * data (e.g. an expression tree): returns a string equal for objects that build the same source.
 */
export const CANONICAL: unique symbol = Symbol.for('tessera.canonical');

/** An object that serializes itself for {@link canonicalKey}. */
export interface Canonical {
  [CANONICAL](): string;
}

/**
 * One specialization of a kernel: its complete WGSL (which is also its pipeline-cache key, see
 * {@link GpuContext.kernel}) and the parameter block that WGSL declares.
 */
export interface KernelSource<S extends ParamSchema = ParamSchema> {
  readonly code: string;
  readonly params: ParamBlock<S>;
}

/**
 * A string equal for equal option values: numbers (−0 and NaN included), strings, booleans,
 * `null`/`undefined`, arrays, plain objects (keys sorted, undefined members skipped) and
 * {@link Canonical} objects. Anything else (functions, class instances, symbols) throws, since its
 * identity would not say what it builds.
 */
export function canonicalKey(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(canonicalKey).join(',')}]`;
      const own = (value as Partial<Canonical>)[CANONICAL];
      if (typeof own === 'function') return `<${own.call(value)}>`;
      const proto = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null) {
        const rec = value as Record<string, unknown>;
        const keys = Object.keys(rec)
          .filter((k) => rec[k] !== undefined)
          .sort();
        return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalKey(rec[k])}`).join(',')}}`;
      }
      throw new TypeError(
        `canonicalKey: options must be plain data or implement [CANONICAL], got an instance of ${proto?.constructor?.name ?? 'an unknown class'}`,
      );
    }
    default:
      throw new TypeError(`canonicalKey: options must be plain data, got a ${typeof value}`);
  }
}

/**
 * Memoizes `build` on its options: a kernel's source generation runs once per distinct options value
 * (compared by {@link canonicalKey}), so a dispatch costs one serialization of its options and a map
 * lookup. `build` must be a pure function of its options: everything that changes the WGSL (dtypes,
 * ranks, tile sizes, the workgroup size) belongs in them.
 */
export function specialize<O, R>(build: (options: O) => R): (options: O) => R {
  const built = new Map<string, R>();
  return (options) => {
    const key = canonicalKey(options);
    let hit = built.get(key);
    if (hit === undefined) {
      hit = build(options);
      built.set(key, hit);
    }
    return hit;
  };
}
