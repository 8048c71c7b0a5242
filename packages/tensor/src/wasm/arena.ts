import type { CpuView } from '../cpu/strided.js';
import { materialize } from '../cpu/strided.js';
import { allocArray, type TypedArray } from '../dtype.js';
import { contiguousStrides, numel } from '../shape.js';
import { align, ensureBytes, Resident } from './resident.js';

/** An operand in WebAssembly memory: element `i` of the view's coordinates is at `ptr + 4·(Σ iₐ·strides[d] + offset)`. */
export interface Placed {
  readonly ptr: number;
  readonly strides: readonly number[];
  /** The view's own offset, relative to `ptr` (in elements). */
  readonly offset: number;
}

/**
 * A WebAssembly memory's space from the module's `__heap_base` up: first the {@link Resident}
 * copies of reused operands, then scratch, which each kernel call resets and bump-allocates its
 * operands, outputs and the kernels' scratch from, so repeated calls of one shape reuse the same
 * bytes and the memory only grows for a larger call or a new resident operand.
 */
export class Arena {
  private top: number;
  private calls = 0;
  /** Copies of reused operands, kept between calls. */
  readonly resident: Resident;

  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
    residentBudget: number,
  ) {
    this.resident = new Resident(memory, base, residentBudget);
    this.top = this.resident.end;
  }

  /** Frees everything allocated since the last reset. */
  reset(): void {
    this.top = this.resident.end;
  }

  /**
   * Resets the scratch and places one kernel call's operands: each from its resident copy when it
   * has one (or earns one now: see {@link Resident}), else copied into scratch as {@link place} does.
   * Resident copies are settled first, since a new one may extend the resident region into what
   * would be scratch.
   */
  operands(views: readonly CpuView[]): Placed[] {
    const call = ++this.calls;
    const kept = views.map((v) => (spansMost(v) ? this.resident.lookup(v.handle as TypedArray, call) : null));
    this.reset();
    return views.map((v, i) => {
      const ptr = kept[i];
      return ptr === null ? this.place(v) : { ptr, strides: v.strides, offset: v.offset };
    });
  }

  /** `bytes` of 64-byte-aligned scratch, growing the memory when needed; returns its address. */
  alloc(bytes: number): number {
    const ptr = this.top;
    this.top = align(ptr + bytes);
    ensureBytes(this.memory, this.top);
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
    const [lo, hi] = span(v);
    const size = v.handle.BYTES_PER_ELEMENT;
    if (n > 0 && hi - lo + 1 <= 2 * n + 64) {
      const ptr = this.alloc((hi - lo + 1) * size);
      this.words(ptr, hi - lo + 1, v.handle).set(v.handle.subarray(lo, hi + 1) as never);
      return { ptr, strides: v.strides, offset: v.offset - lo };
    }
    const data: TypedArray = materialize(v);
    const ptr = this.alloc(Math.max(n, 1) * size);
    this.words(ptr, n, v.handle).set(data as never);
    return { ptr, strides: contiguousStrides(v.shape), offset: 0 };
  }

  /** `n` elements at `ptr` typed like `like` (bits copied as they are: u32 codes stay codes). */
  private words(ptr: number, n: number, like: TypedArray): TypedArray {
    const Ctor = like.constructor as new (b: ArrayBufferLike, at: number, n: number) => TypedArray;
    return new Ctor(this.memory.buffer, ptr, n);
  }
}

/** The lowest and highest element a view reaches. */
function span(v: CpuView): [number, number] {
  let lo = v.offset;
  let hi = v.offset;
  for (let d = 0; d < v.shape.length; d++) {
    const reach = (v.shape[d] - 1) * v.strides[d];
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  return [lo, hi];
}

/** Whether a view reaches most of its buffer (a resident copy of a thin slice would waste memory). */
function spansMost(v: CpuView): boolean {
  const [lo, hi] = span(v);
  return numel(v.shape) > 0 && 2 * (hi - lo + 1) >= v.handle.length;
}

/** Copies a view's elements, row-major and contiguous, into the arena as `kind`; returns the address. */
export function placeContiguous(arena: Arena, v: CpuView, kind: 'f32' | 'i32'): number {
  const n = numel(v.shape);
  const data = materialize(v);
  const ptr = arena.alloc(Math.max(n, 1) * 4);
  const view = kind === 'f32' ? arena.f32(ptr, n) : new Int32Array(arena.memory.buffer, ptr, n);
  view.set(data);
  return ptr;
}

/** A result in the arena copied out into a host array of its own (a freed tensor's when one fits). */
export function copyOut(res: Float32Array): Float32Array {
  const out = allocArray('f32', res.length) as Float32Array;
  out.set(res);
  return out;
}
