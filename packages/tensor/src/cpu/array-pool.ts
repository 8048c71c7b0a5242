import type { DType, TypedArray } from '../dtype.js';

/**
 * Host arrays of freed tensors, kept for reuse by dtype and length. A fresh large TypedArray costs
 * its page faults on first write (2 MB: about 1.4 ms on the reference machine, against 0.02 ms to
 * zero a reused one), which made every CPU and WebAssembly kernel on large tensors pay more for its
 * output than for its arithmetic. Only arrays of {@link MIN_BYTES} or more are kept, at most
 * {@link MAX_BYTES} in all; the oldest kept arrays go first when that fills.
 */
const MIN_BYTES = 1 << 16;
const MAX_BYTES = 256 << 20;

const kept = new Map<string, TypedArray[]>();
let keptBytes = 0;

const CTORS = {
  f32: Float32Array,
  f16: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
  u8: Uint8Array,
  bool: Uint8Array,
} as const;

const keyOf = (name: string, n: number) => `${name}:${n}`;

/** A zeroed array for `n` elements of `dtype`: a kept one when one fits, else a new one. */
export function takeArray(dtype: DType, n: number): TypedArray {
  const Ctor = CTORS[dtype];
  if (n * Ctor.BYTES_PER_ELEMENT >= MIN_BYTES) {
    const key = keyOf(Ctor.name, n);
    const list = kept.get(key);
    const reused = list?.pop();
    if (reused) {
      // An emptied list goes, so that the eviction in recycleArray always finds an array to drop.
      if (list?.length === 0) kept.delete(key);
      keptBytes -= reused.byteLength;
      return reused.fill(0);
    }
  }
  return new Ctor(n);
}

/** Keeps a freed array for reuse. The caller must hold no other reference to it. */
export function recycleArray(a: TypedArray): void {
  if (a.byteLength < MIN_BYTES || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) return;
  if (a.byteLength > MAX_BYTES) return;
  while (keptBytes + a.byteLength > MAX_BYTES) dropOldest();
  const key = keyOf(a.constructor.name, a.length);
  const list = kept.get(key) ?? [];
  list.push(a);
  kept.set(key, list);
  keptBytes += a.byteLength;
}

/** Bytes held by kept arrays (not counted as live tensor memory). */
export const keptArrayBytes = (): number => keptBytes;

/** Lets every kept array go (to the garbage collector). */
export function releaseKeptArrays(): void {
  kept.clear();
  keptBytes = 0;
}

function dropOldest(): void {
  const [key, list] = kept.entries().next().value as [string, TypedArray[]];
  const a = list.shift() as TypedArray;
  keptBytes -= a.byteLength;
  if (list.length === 0) kept.delete(key);
}
