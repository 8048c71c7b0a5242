import type { Placed } from './arena.js';
import { CB4_DECODE, CB4_MATMUL, call, partsFor, ranges, runCalls } from './calls.js';
import type { KernelRuntime } from './module.js';

/** Ints of csrc/codebook4.c's Cb4Args. */
const ARGS = 11;
/** csrc/codebook4.c's FUSED_ROWS: up to this many rows of x its matmul needs no scratch. */
const FUSED_ROWS = 8;
/** csrc/codebook4.c decodes whole rows of W into 8-column panels of sgemm's; column splits are multiples. */
const PANEL = 8;

/**
 * A weight W [n, k] of 4-bit codes into a 16-value code book with one f32 scale per block of
 * `blockSize` consecutive elements (of W flattened row-major): element e is
 * `book[code(e)] · scales[⌊e / blockSize⌋]`.
 */
export interface Codebook4Weight {
  /** The packed codes (a u32 operand): element e's code is in byte ⌊e/2⌋ of its bytes, the high nibble when e is even. */
  readonly codes: Placed;
  /** One f32 per block (an f32 operand). */
  readonly scales: Placed;
  readonly blockSize: number;
  /** The 16 values the codes stand for. */
  readonly book: ArrayLike<number>;
  readonly n: number;
  readonly k: number;
}

/** csrc/codebook4.c's routines: the product x · Wᵀ and the decoding of W, split between threads. */
export function codebook4(rt: KernelRuntime) {
  const { arena } = rt;
  const scratch = rt.exports.cb4_scratch_floats() * 4;
  // Writes the Cb4Args block (and the book) into scratch; returns its address.
  const args = (w: Codebook4Weight, m: number, x: number, ldx: number, y: number): number => {
    if (w.book.length !== 16) throw new RangeError(`codebook4: book must hold 16 values, got ${w.book.length}`);
    const book = arena.alloc(16 * 4);
    arena.f32(book, 16).set(w.book);
    const at = arena.alloc(ARGS * 4);
    const bytes = (p: Placed) => p.ptr + 4 * p.offset;
    new Int32Array(arena.memory.buffer, at, ARGS).set([
      m,
      w.n,
      w.k,
      x,
      ldx,
      bytes(w.codes),
      bytes(w.scales),
      w.blockSize,
      book,
      y,
      w.n,
    ]);
    return at;
  };
  return {
    /** y [m, n] = x · Wᵀ for x [m, k] (rows of unit stride). */
    matmul(x: Placed, m: number, w: Codebook4Weight): Float32Array {
      const { n, k } = w;
      if (m * n === 0) return new Float32Array(0);
      if (k > 1 && x.strides[x.strides.length - 1] !== 1)
        throw new RangeError(`codebook4.matmul: x's rows must be contiguous, got strides [${x.strides}]`);
      const y = arena.alloc(m * n * 4);
      const ldx = x.strides.length > 1 ? x.strides[x.strides.length - 2] : k;
      const at = args(w, m, x.ptr + 4 * x.offset, ldx, y);
      const cost = 2 * m * n * k;
      const calls = ranges(n, partsFor(rt, cost), PANEL).map(([n0, len]) =>
        call(CB4_MATMUL, [at, n0, n0 + len], cost * (len / n), m > FUSED_ROWS ? scratch : 0),
      );
      runCalls(rt, calls);
      return arena.f32(y, m * n).slice();
    },
    /** Elements [start, start + count) of W flattened, decoded to f32. */
    decode(w: Codebook4Weight, start: number, count: number): Float32Array {
      if (count === 0) return new Float32Array(0);
      const out = arena.alloc(count * 4);
      const at = args(w, 0, 0, 0, 0);
      // About four operations an element.
      const calls = ranges(count, partsFor(rt, 4 * count), 32).map(([i, len]) =>
        call(CB4_DECODE, [at, start + i, len, out + 4 * i], 4 * len),
      );
      runCalls(rt, calls);
      return arena.f32(out, count).slice();
    },
  };
}
