import type { CpuView } from '../cpu/strided.js';
import { materialize } from '../cpu/strided.js';
import { allocArray, type TypedArray } from '../dtype.js';
import { contiguousStrides, numel } from '../shape.js';

const PAGE = 65536;
const ALIGN = 64;

/** An operand copied into WebAssembly memory: the element at index (i₀, i₁, …) of the view is element `Σ i_d·strides[d] + offset` of the array at `ptr`. */
export interface Placed {
  readonly ptr: number;
  readonly strides: readonly number[];
  /** The view's own offset, relative to `ptr` (in elements). */
  readonly offset: number;
}

/**
 * Scratch space in a WebAssembly memory, from the module's `__heap_base` up: each kernel call
 * resets it and bump-allocates its operands, outputs and the kernels' scratch, so repeated calls
 * of one shape reuse the same bytes and the memory only grows for a larger call.
 */
export class Arena {
  private top: number;

  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly base: number,
  ) {
    this.top = this.base;
  }

  /** Frees everything allocated since the last reset. */
  reset(): void {
    this.top = this.base;
  }

  /** `bytes` of 64-byte-aligned scratch, growing the memory when needed; returns its address. */
  alloc(bytes: number): number {
    const ptr = this.top;
    this.top = align(ptr + bytes);
    const short = this.top - this.memory.buffer.byteLength;
    if (short > 0) this.memory.grow(Math.ceil(short / PAGE));
    return ptr;
  }

  /** A Float32Array over `n` floats at `ptr` (made after the last grow, so it sees the current buffer). */
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  /**
   * Copies a view into the arena, as elements of its own array type (4 bytes, or 1 for u8). The
   * elements it spans are copied as one block (a memcpy, keeping its strides: transposed and
   * broadcast views are read in place by the kernels); a view that spans far more than it holds
   * (a thin slice of a large buffer) is first gathered into a contiguous copy.
   */
  place(v: CpuView): Placed {
    const n = numel(v.shape);
    const Typed = v.handle.constructor as TypedArrayConstructor;
    let lo = v.offset;
    let hi = v.offset;
    for (let d = 0; d < v.shape.length; d++) {
      const reach = (v.shape[d] - 1) * v.strides[d];
      if (reach < 0) lo += reach;
      else hi += reach;
    }
    if (n > 0 && hi - lo + 1 <= 2 * n + 64) {
      const ptr = this.alloc((hi - lo + 1) * Typed.BYTES_PER_ELEMENT);
      new Typed(this.memory.buffer, ptr, hi - lo + 1).set(v.handle.subarray(lo, hi + 1) as never);
      return { ptr, strides: v.strides, offset: v.offset - lo };
    }
    const data: TypedArray = materialize(v);
    const ptr = this.alloc(Math.max(n, 1) * Typed.BYTES_PER_ELEMENT);
    new Typed(this.memory.buffer, ptr, n).set(data as never);
    return { ptr, strides: contiguousStrides(v.shape), offset: 0 };
  }
}

type TypedArrayConstructor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

/** Copies a view's elements, row-major and contiguous, into the arena as `kind`; returns the address. */
export function placeContiguous(arena: Arena, v: CpuView, kind: 'f32' | 'i32'): number {
  const n = numel(v.shape);
  const data = materialize(v);
  const ptr = arena.alloc(Math.max(n, 1) * 4);
  const view = kind === 'f32' ? arena.f32(ptr, n) : new Int32Array(arena.memory.buffer, ptr, n);
  view.set(data);
  return ptr;
}

const align = (p: number): number => Math.ceil(p / ALIGN) * ALIGN;

/** A result in the arena copied out into a host array of its own (a freed tensor's when one fits). */
export function copyOut(res: Float32Array): Float32Array {
  const out = allocArray('f32', res.length) as Float32Array;
  out.set(res);
  return out;
}
