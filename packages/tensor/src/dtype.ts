/** Element types every backend supports. `u8` doubles as the boolean type (comparisons return it). */
export type DType = 'f32' | 'i32' | 'u32' | 'u8';

/** The TypedArray that holds each dtype on the host. */
export type TypedArray = Float32Array | Int32Array | Uint32Array | Uint8Array;

/** Every dtype, for tests and validation. */
export const DTYPES: readonly DType[] = ['f32', 'i32', 'u32', 'u8'];

/** Allocates a host array for `n` elements of `dtype`. */
export function allocArray(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'f32':
      return new Float32Array(n);
    case 'i32':
      return new Int32Array(n);
    case 'u32':
      return new Uint32Array(n);
    case 'u8':
      return new Uint8Array(n);
  }
}

/** Copies values into a new host array of `dtype` (with that dtype's wrap-around / truncation). */
export function toArray(dtype: DType, values: ArrayLike<number>): TypedArray {
  const out = allocArray(dtype, values.length);
  if (
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
export const isFloat = (d: DType): boolean => d === 'f32';

/** The dtype of a host array. */
export function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint32Array) return 'u32';
  return 'u8';
}
