/** Argument checks shared by the package's entry points; each failure names the argument, the expected and the actual value. */

/** A bad argument to a quantizer: the message names it, the expected and the actual value. */
export class QuantError extends Error {
  override name = 'QuantError';
}

/** Throws a {@link QuantError}. */
export function fail(message: string): never {
  throw new QuantError(message);
}

/** A value as an error message shows it: JSON where possible, `nothing` for undefined. */
export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'symbol') return String(v);
  if (typeof v === 'function') return 'a function';
  if (ArrayBuffer.isView(v))
    return `a ${v.constructor.name} of ${(v as unknown as ArrayLike<unknown>).length}`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

const list = (allowed: readonly string[]): string =>
  allowed.length === 1
    ? `'${allowed[0]}'`
    : `${allowed
        .slice(0, -1)
        .map((a) => `'${a}'`)
        .join(', ')} or '${allowed.at(-1)}'`;

/** `value` must be one of `allowed`; returns it typed. */
export function checkOneOf<A extends string>(
  what: string,
  name: string,
  value: unknown,
  allowed: readonly A[],
): A {
  if (!allowed.includes(value as A)) fail(`${what}: ${name} must be ${list(allowed)}, got ${show(value)}`);
  return value as A;
}

/** A power of two from 32 to 4096 (bitsandbytes' block sizes). */
export const isBlockSize = (b: unknown): b is number =>
  Number.isInteger(b) &&
  (b as number) >= 32 &&
  (b as number) <= 4096 &&
  ((b as number) & ((b as number) - 1)) === 0;

export function checkBlock(what: string, blockSize: unknown, name = 'blockSize'): number {
  if (!isBlockSize(blockSize))
    fail(`${what}: ${name} must be a power of two from 32 to 4096, got ${show(blockSize)}`);
  return blockSize;
}

/** A non-negative integer count. */
export function checkCount(what: string, name: string, n: unknown): number {
  if (!Number.isSafeInteger(n) || (n as number) < 0)
    fail(`${what}: ${name} must be a non-negative integer, got ${show(n)}`);
  return n as number;
}

/** A list of non-negative integers; returns its element count. */
export function shapeSize(what: string, shape: unknown, name = 'shape'): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    fail(`${what}: ${name} must be a list of non-negative integers, got ${show(shape)}`);
  const n = (shape as number[]).reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n))
    fail(`${what}: ${name} ${show(shape)} has more elements than fit a safe integer`);
  return n;
}

/** A shape that holds exactly `n` elements (those of `of`). */
export function checkShape(what: string, shape: unknown, n: number, of: string): number[] {
  const size = shapeSize(what, shape);
  if (size !== n) fail(`${what}: shape ${show(shape)} holds ${size} elements, ${of} has ${n}`);
  return [...(shape as number[])];
}

/** An array-like of numbers (a typed array or an array). */
export function checkValues(what: string, name: string, x: unknown): ArrayLike<number> {
  const ok =
    (ArrayBuffer.isView(x) &&
      !(x instanceof DataView || x instanceof BigInt64Array || x instanceof BigUint64Array)) ||
    (Array.isArray(x) && x.every((v) => typeof v === 'number'));
  if (!ok) fail(`${what}: ${name} must be an array or typed array of numbers, got ${show(x)}`);
  return x as ArrayLike<number>;
}

/**
 * The values as float32 (the quantizers' arithmetic is float32, as bitsandbytes'), every one finite
 * there: NaN, ±Inf and values beyond the float32 range cannot be quantized.
 */
export function finiteF32(what: string, x: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(x);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]))
      fail(
        `${what}: element ${i} is ${x[i]}${Number.isFinite(x[i]) ? ' (beyond the float32 range)' : ''}; only finite weights can be quantized`,
      );
  }
  return out;
}

/** A typed array of exactly `n` elements. */
export function checkLength<A extends { length: number }>(
  what: string,
  name: string,
  a: A | undefined,
  n: number,
  kind: new (...args: never[]) => A,
): A {
  if (!(a instanceof kind)) fail(`${what}: ${name} must be a ${kind.name}, got ${show(a)}`);
  if (a.length !== n) fail(`${what}: ${name} must hold ${n} values, got ${a.length}`);
  return a;
}
