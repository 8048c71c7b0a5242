import { copyOut, type Placed } from './arena.js';
import { CB4_DECODE, CB4_MATMUL, CB8_DECODE, call, partsFor, ranges, runCalls } from './calls.js';
import type { KernelRuntime } from './module.js';

/** csrc/codebook.c's FUSED_ROWS: up to this many rows of x its matmul needs no scratch. */
const FUSED_ROWS = 8;
/** csrc/codebook.c decodes whole rows of W into 8-column panels of sgemm's; column splits are multiples. */
const PANEL = 8;

/**
 * A weight W [n, k] of 4-bit codes into a 16-value code book with one f32 scale per block of
 * `blockSize` consecutive elements (of W flattened row-major): element e is
 * `f32(book[code(e)] · scales[⌊e / blockSize⌋])`.
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

/**
 * Values held as 8-bit codes into a 256-value book, one f32 scale per block of `blockSize`: element e
 * is `f32(f32(book[code(e)] · scales[⌊e / blockSize⌋]) + offset)` (double quantization's absmax).
 */
export interface Codebook8Values {
  /** The codes (a u32 operand), one a byte: element e's is byte e of its bytes. */
  readonly codes: Placed;
  readonly scales: Placed;
  readonly blockSize: number;
  /** The 256 values the codes stand for. */
  readonly book: ArrayLike<number>;
  /** Added to every value; an f32 value. */
  readonly offset: number;
}

const bytesAt = (p: Placed) => p.ptr + 4 * p.offset;

/** csrc/codebook.c's routines: the product x · Wᵀ and the decoding of 4- and 8-bit codes, split between threads. */
export function codebooks(rt: KernelRuntime) {
  const { arena } = rt;
  const scratch = rt.exports.cb4_scratch_floats() * 4;
  // The book and the arguments block in scratch; returns the block's address.
  const args = (book: ArrayLike<number>, size: number, words: (book: number) => number[]): number => {
    if (book.length !== size)
      throw new RangeError(`codebook: book must hold ${size} values, got ${book.length}`);
    const b = arena.alloc(size * 4);
    arena.f32(b, size).set(book);
    const w = words(b);
    const at = arena.alloc(w.length * 4);
    new Int32Array(arena.memory.buffer, at, w.length).set(w);
    return at;
  };
  const cb4 = (w: Codebook4Weight, m: number, x: number, ldx: number, y: number) =>
    args(w.book, 16, (book) => [
      m,
      w.n,
      w.k,
      x,
      ldx,
      bytesAt(w.codes),
      bytesAt(w.scales),
      w.blockSize,
      book,
      y,
      w.n,
    ]);
  // Splits decoding `count` elements from `start` into `out` between threads (about four operations an element).
  const decode = (routine: number, at: number, start: number, count: number): Float32Array => {
    if (count === 0) return new Float32Array(0);
    const out = arena.alloc(count * 4);
    const calls = ranges(count, partsFor(rt, 4 * count), 32).map(([i, len]) =>
      call(routine, [at, start + i, len, out + 4 * i], 4 * len),
    );
    runCalls(rt, calls);
    return copyOut(arena.f32(out, count));
  };
  return {
    /** y [m, n] = x · Wᵀ for x [m, k] (rows of unit stride). */
    matmul4(x: Placed, m: number, w: Codebook4Weight): Float32Array {
      const { n, k } = w;
      if (m * n === 0) return new Float32Array(0);
      const r = x.strides.length;
      if (k > 1 && x.strides[r - 1] !== 1)
        throw new RangeError(`codebook4Matmul: x's rows must be contiguous, got strides [${x.strides}]`);
      const y = arena.alloc(m * n * 4);
      const at = cb4(w, m, bytesAt(x), r > 1 ? x.strides[r - 2] : k, y);
      const cost = 2 * m * n * k;
      const calls = ranges(n, partsFor(rt, cost), PANEL).map(([n0, len]) =>
        call(CB4_MATMUL, [at, n0, n0 + len], cost * (len / n), m > FUSED_ROWS ? scratch : 0),
      );
      runCalls(rt, calls);
      return copyOut(arena.f32(y, m * n));
    },
    /** Elements [start, start + count) of a 4-bit weight, flattened, decoded. */
    decode4: (w: Codebook4Weight, start: number, count: number): Float32Array =>
      decode(CB4_DECODE, cb4(w, 0, 0, 0, 0), start, count),
    /** Elements [start, start + count) of 8-bit code-book values, decoded. */
    decode8(v: Codebook8Values, start: number, count: number): Float32Array {
      if (Math.fround(v.offset) !== v.offset)
        throw new RangeError(`codebook8Decode: offset must be an f32 value, got ${v.offset}`);
      const at = args(v.book, 256, (book) => [
        bytesAt(v.codes),
        bytesAt(v.scales),
        v.blockSize,
        book,
        new Int32Array(new Float32Array([v.offset]).buffer)[0],
      ]);
      return decode(CB8_DECODE, at, start, count);
    },
  };
}
