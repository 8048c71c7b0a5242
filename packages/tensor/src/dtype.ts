import { takeArray } from './cpu/array-pool.js';
import { DTypeError } from './errors.js';
import { roundHalf } from './half.js';

/**
 * Element types every backend supports. `bool` holds 0 or 1 (comparisons and logical ops give
 * it); `f16` holds IEEE half values, computed in float32 and rounded to half on every store, as
 * PyTorch computes half tensors.
 */
export type DType = 'f32' | 'f16' | 'i32' | 'u32' | 'u8' | 'bool';

/** The dtypes a backend stores: f16 values live in float32 words, bool in u8. */
export type StorageDType = 'f32' | 'i32' | 'u32' | 'u8';

/** The TypedArray that holds each dtype on the host (f16 in a Float32Array, bool in a Uint8Array). */
export type TypedArray = Float32Array | Int32Array | Uint32Array | Uint8Array;

/** Every dtype, for tests and validation. */
export const DTYPES: readonly DType[] = ['f32', 'f16', 'i32', 'u32', 'u8', 'bool'];

/** The dtype a backend stores `d` as (and kernels compute it in): f16 as f32, bool as u8. */
export function storageOf(d: DType): StorageDType {
  return d === 'f16' ? 'f32' : d === 'bool' ? 'u8' : d;
}

/** Allocates a zeroed host array for `n` elements of `dtype` (reusing a freed tensor's when one fits). */
export function allocArray(dtype: DType, n: number): TypedArray {
  return takeArray(dtype, n);
}

/** Copies values into a new host array of `dtype` (with that dtype's wrap-around / truncation). */
export function toArray(dtype: DType, values: ArrayLike<number>): TypedArray {
  const out = allocArray(dtype, values.length);
  if (dtype === 'f16' || dtype === 'bool') {
    for (let i = 0; i < values.length; i++) out[i] = wrapScalar(values[i], dtype);
  } else if (
    dtype === 'f32' ||
    values instanceof Float32Array ||
    values instanceof Float64Array ||
    Array.isArray(values)
  ) {
    for (let i = 0; i < values.length; i++) out[i] = dtype === 'f32' ? values[i] : Math.trunc(values[i]);
  } else out.set(values as ArrayLike<number>);
  return out;
}

/** Whether the dtype holds floating-point values. */
export const isFloat = (d: DType): boolean => d === 'f32' || d === 'f16';

/** The floating-point dtypes, for checks of float-only ops. */
export const FLOATS: readonly DType[] = ['f32', 'f16'];

/** `dtype` itself when it is a {@link DType}, else a DTypeError naming `op` and the dtypes there are. */
export function checkDType(op: string, dtype: unknown): DType {
  if ((DTYPES as readonly unknown[]).includes(dtype)) return dtype as DType;
  throw new DTypeError(
    `${op}: dtype must be one of ${DTYPES.join(', ')}, got ${JSON.stringify(dtype) ?? String(dtype)}`,
  );
}

/** Host arrays a tensor can be made from, and the dtype each becomes: the narrowest that holds every value. */
const ARRAY_DTYPES: [new (...args: never[]) => ArrayBufferView, DType][] = [
  [Float32Array, 'f32'],
  [Float64Array, 'f32'],
  [Int32Array, 'i32'],
  [Int16Array, 'i32'],
  [Int8Array, 'i32'],
  [Uint32Array, 'u32'],
  [Uint16Array, 'u32'],
  [Uint8Array, 'u8'],
  [Uint8ClampedArray, 'u8'],
];

/**
 * The dtype a host array becomes: Float32/Float64 → f32, Int8/16/32 → i32, Uint16/32 → u32,
 * Uint8 (and Uint8Clamped) → u8. Other views (BigInt64Array, DataView, Float16Array) are refused
 * with a DTypeError rather than reinterpreted.
 */
export function dtypeOf(a: ArrayBufferView, op = 'tensor'): DType {
  for (const [ctor, dtype] of ARRAY_DTYPES) if (a instanceof ctor) return dtype;
  throw new DTypeError(
    `${op}: cannot make a tensor from a ${a.constructor.name}; give a Float32Array, Float64Array, Int8/16/32Array, Uint8/16/32Array or a plain array`,
  );
}

/**
 * A number as a value of `dtype`, as storing it in that dtype's array would make it (f32 or half
 * rounding, integer wrap; bool: 1 for nonzero, NaN included, as PyTorch's cast).
 */
export function wrapScalar(v: number, dtype: DType): number {
  switch (dtype) {
    case 'f32':
      return Math.fround(v);
    case 'f16':
      return roundHalf(v);
    case 'bool':
      return v !== 0 ? 1 : 0;
    case 'i32':
      return v | 0;
    case 'u32':
      return v >>> 0;
    case 'u8':
      return v & 255;
  }
}
