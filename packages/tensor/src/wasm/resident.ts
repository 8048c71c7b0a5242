import type { TypedArray } from '../dtype.js';

const PAGE = 65536;
const ALIGN = 64;

/** Operands smaller than this are copied per call: their copy costs less than keeping track of them. */
export const RESIDENT_MIN_BYTES = 256 * 1024;

/** Rounds an address up to the 64-byte alignment every placement has. */
export const align = (p: number): number => Math.ceil(p / ALIGN) * ALIGN;

/** Grows `memory` until it holds `end` bytes. */
export function ensureBytes(memory: WebAssembly.Memory, end: number): void {
  const short = end - memory.buffer.byteLength;
  if (short > 0) memory.grow(Math.ceil(short / PAGE));
}

interface Block {
  readonly ptr: number;
  readonly bytes: number;
  /** The kernel call that last read it: blocks read by the current call are never evicted. */
  call: number;
}

/**
 * Copies of host buffers kept in WebAssembly memory between kernel calls, so an operand read again
 * and again (a weight) is copied in once instead of on every call. Keyed by the buffer itself:
 * backend buffers never change once computed, so a copy stays valid until the buffer is freed
 * ({@link drop}, from the backend's `free`). A buffer is kept from its second use on (a one-off
 * activation is not worth the bookkeeping), when it holds at least {@link RESIDENT_MIN_BYTES};
 * past `budget` bytes the least recently used copies are dropped.
 *
 * The copies live in `[base, end)`, first fit into holes left by dropped ones; the per-call scratch
 * arena starts at `end`, so the region only grows between calls (see `Arena.operands`).
 */
export class Resident {
  /** Blocks by buffer, least recently used first (a Map keeps insertion order; a hit re-inserts). */
  private readonly blocks = new Map<TypedArray, Block>();
  private readonly seen = new WeakSet<TypedArray>();
  /** Free ranges inside [base, end), sorted by address, never adjacent. */
  private holes: { ptr: number; bytes: number }[] = [];
  private held = 0;
  private top: number;

  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
    /** The most bytes of copies kept at once (0: none). */
    readonly budget: number,
  ) {
    this.top = align(base);
  }

  /** The first byte past the region. */
  get end(): number {
    return this.top;
  }

  /** Bytes of copies held now. */
  get bytes(): number {
    return this.held;
  }

  /** Buffers with a copy held now. */
  get count(): number {
    return this.blocks.size;
  }

  /**
   * The address of `handle`'s copy, made now if it is worth keeping, or null (the caller copies it
   * into scratch). `call` marks the block as read by the current kernel call.
   */
  lookup(handle: TypedArray, call: number): number | null {
    const hit = this.blocks.get(handle);
    if (hit) {
      this.blocks.delete(handle);
      this.blocks.set(handle, hit);
      hit.call = call;
      return hit.ptr;
    }
    const bytes = handle.byteLength;
    if (handle.BYTES_PER_ELEMENT !== 4 || bytes < RESIDENT_MIN_BYTES || bytes > this.budget) return null;
    if (!this.seen.has(handle)) {
      this.seen.add(handle);
      return null;
    }
    const ptr = this.allocate(bytes, call);
    if (ptr === null) return null;
    new Uint8Array(this.memory.buffer, ptr, bytes).set(
      new Uint8Array(handle.buffer, handle.byteOffset, bytes),
    );
    this.blocks.set(handle, { ptr, bytes, call });
    this.held += bytes;
    return ptr;
  }

  /** Forgets `handle`'s copy (it is being freed), returning its bytes to the region. */
  drop(handle: TypedArray): void {
    const b = this.blocks.get(handle);
    this.seen.delete(handle);
    if (!b) return;
    this.blocks.delete(handle);
    this.held -= b.bytes;
    this.release(b.ptr, align(b.bytes));
  }

  private allocate(bytes: number, call: number): number | null {
    const size = align(bytes);
    // Make room under the budget, least recently used first, never a block this call reads.
    for (const [handle, b] of this.blocks) {
      if (this.held + bytes <= this.budget) break;
      if (b.call !== call) this.drop(handle);
    }
    if (this.held + bytes > this.budget) return null;
    const i = this.holes.findIndex((h) => h.bytes >= size);
    if (i >= 0) {
      const h = this.holes[i];
      if (h.bytes === size) this.holes.splice(i, 1);
      else this.holes[i] = { ptr: h.ptr + size, bytes: h.bytes - size };
      return h.ptr;
    }
    const ptr = this.top;
    ensureBytes(this.memory, ptr + size);
    this.top = ptr + size;
    return ptr;
  }

  private release(ptr: number, size: number): void {
    let i = this.holes.findIndex((h) => h.ptr > ptr);
    if (i < 0) i = this.holes.length;
    this.holes.splice(i, 0, { ptr, bytes: size });
    // Merge with the next hole, then the previous one.
    const next = this.holes[i + 1];
    if (next && ptr + size === next.ptr) {
      this.holes[i] = { ptr, bytes: size + next.bytes };
      this.holes.splice(i + 1, 1);
    }
    const prev = this.holes[i - 1];
    if (prev && prev.ptr + prev.bytes === ptr) {
      this.holes[i - 1] = { ptr: prev.ptr, bytes: prev.bytes + this.holes[i].bytes };
      this.holes.splice(i, 1);
      i--;
    }
    // A hole that ends the region shrinks it instead.
    const last = this.holes[this.holes.length - 1];
    if (last && last.ptr + last.bytes === this.top) {
      this.top = last.ptr;
      this.holes.pop();
    }
  }
}
