// Matmul against a weight held as 4-bit codes into a 16-value code book, one f32 scale per block of
// consecutive elements (bitsandbytes' NF4, FP4 and symmetric Int4; any 16-value book): element e of
// the flattened W [N, K] is book[code(e)] · scale[e / block], its code in byte e/2 of the packed
// codes, the high nibble when e is even. y [M, N] = x [M, K] · Wᵀ, the weight never held in f32.
//
// The book lookup is a byte table lookup (i8x16.swizzle) on the book's four byte planes — byte t of
// every value — then two interleaves put each value's four bytes back together: 16 values from 4
// swizzles and 8 shuffles. Decoding gives exactly f32(book[c] · scale), as the JavaScript reference
// does; the product sums a block's x · book[c] in f32 and scales the sum (as bitsandbytes' and the
// WebGPU GEMV kernels do), where the reference sums x · f32(book[c] · scale) in f64.
//
// Up to FUSED_ROWS rows of x the weight is decoded in registers, 32 elements at a time, and each
// chunk is multiplied into every row (a GEMV streams 4.5 bits a weight instead of 32); more rows
// decode a slice of W into scratch and run the f32 product kernels on it. And the decoding of 8-bit
// codes into a 256-value book (double quantization's absmax). Pure functions: threads run disjoint
// ranges of output columns or elements.
#include "simd.h"

void sgemm(int M, int N, int K, const float *a, int rsa, int csa, const float *b, int rsb, int csb, float *c,
           int ldc, float *scratch);
void sgemm_dots(int M, int N, int K, const float *a, int rsa, const float *b, int csb, float *c, int ldc);
int sgemm_scratch_floats(void);

/** The arguments as src/wasm/codebook.ts lays them out in memory (addresses in bytes). */
typedef struct {
  int m, n, k;
  /** x [m, k], row stride ldx (floats). */
  int x, ldx;
  /** Packed codes of W [n, k] (flattened), scales (one per `block` elements), the 16 book values. */
  int codes, scales, block, book;
  /** y [m, n], row stride ldy. */
  int y, ldy;
} Cb4Args;

#define AT(T, p) ((T)(__SIZE_TYPE__)(unsigned)(p))
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/** Rows of x up to which the weight is decoded in registers (beyond: a slice at a time into scratch). */
#define FUSED_ROWS 8
/** Floats of decoded weight a thread holds at once on the sliced path. */
#define SLICE_FLOATS (1 << 18)

/** Floats of scratch a thread needs: a decoded slice of W and the f32 product's own scratch. */
EXPORT int cb4_scratch_floats(void) { return SLICE_FLOATS + sgemm_scratch_floats(); }

/** The book's four byte planes: plane t holds byte t of each of the 16 values, for i8x16.swizzle. */
typedef struct {
  v128_t p0, p1, p2, p3;
} Planes;

#define PLANE(f0, f1, f2, f3, t)                                                                             \
  wasm_i8x16_shuffle(wasm_i8x16_shuffle(f0, f1, t, 4 + t, 8 + t, 12 + t, 16 + t, 20 + t, 24 + t, 28 + t, 0, 0, \
                                        0, 0, 0, 0, 0, 0),                                                  \
                     wasm_i8x16_shuffle(f2, f3, t, 4 + t, 8 + t, 12 + t, 16 + t, 20 + t, 24 + t, 28 + t, 0, 0, \
                                        0, 0, 0, 0, 0, 0),                                                  \
                     0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23)

ALWAYS_INLINE Planes planes(const float *book) {
  v128_t f0 = wasm_v128_load(book), f1 = wasm_v128_load(book + 4), f2 = wasm_v128_load(book + 8),
         f3 = wasm_v128_load(book + 12);
  Planes p = {PLANE(f0, f1, f2, f3, 0), PLANE(f0, f1, f2, f3, 1), PLANE(f0, f1, f2, f3, 2),
              PLANE(f0, f1, f2, f3, 3)};
  return p;
}

/** The book values of 16 codes (bytes 0..15 of c) as four f32x4, in order. */
ALWAYS_INLINE void lookup(Planes p, v128_t c, v128_t w[4]) {
  v128_t b0 = wasm_i8x16_swizzle(p.p0, c), b1 = wasm_i8x16_swizzle(p.p1, c);
  v128_t b2 = wasm_i8x16_swizzle(p.p2, c), b3 = wasm_i8x16_swizzle(p.p3, c);
  v128_t l01 = wasm_i8x16_shuffle(b0, b1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  v128_t h01 = wasm_i8x16_shuffle(b0, b1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  v128_t l23 = wasm_i8x16_shuffle(b2, b3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  v128_t h23 = wasm_i8x16_shuffle(b2, b3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  w[0] = wasm_i16x8_shuffle(l01, l23, 0, 8, 1, 9, 2, 10, 3, 11);
  w[1] = wasm_i16x8_shuffle(l01, l23, 4, 12, 5, 13, 6, 14, 7, 15);
  w[2] = wasm_i16x8_shuffle(h01, h23, 0, 8, 1, 9, 2, 10, 3, 11);
  w[3] = wasm_i16x8_shuffle(h01, h23, 4, 12, 5, 13, 6, 14, 7, 15);
}

/** The book values (unscaled) of elements e .. e+31 of W, four at a time in order. The chunk must lie within W. */
ALWAYS_INLINE void book32(const Cb4Args *a, Planes p, unsigned e, v128_t w[8]) {
  const unsigned char *codes = AT(const unsigned char *, a->codes) + (e >> 1);
  const v128_t nibble = wasm_i8x16_splat(15);
  v128_t even, odd;
  if (e & 1) {
    // Element e is the low nibble of its byte; e+1 the high nibble of the next one.
    even = wasm_v128_and(wasm_v128_load(codes), nibble);
    odd = wasm_u8x16_shr(wasm_v128_load(codes + 1), 4);
  } else {
    v128_t v = wasm_v128_load(codes);
    even = wasm_u8x16_shr(v, 4);
    odd = wasm_v128_and(v, nibble);
  }
  lookup(p, wasm_i8x16_shuffle(even, odd, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), w);
  lookup(p, wasm_i8x16_shuffle(even, odd, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), w + 4);
}

/** Lanes 4q .. 4q+3 of a chunk that are before position t: all ones, else zero. */
ALWAYS_INLINE v128_t before(unsigned t, int q) {
  v128_t lanes = wasm_i32x4_add(wasm_i32x4_make(0, 1, 2, 3), wasm_i32x4_splat(4 * q));
  return wasm_i32x4_lt(lanes, wasm_i32x4_splat((int)t));
}

/** One element of W: f32(book[code] · scale), as the JavaScript reference decodes it. */
ALWAYS_INLINE float decode1(const Cb4Args *a, unsigned e) {
  unsigned char byte = AT(const unsigned char *, a->codes)[e >> 1];
  int c = e & 1 ? byte & 15 : byte >> 4;
  return AT(const float *, a->book)[c] * AT(const float *, a->scales)[e / (unsigned)a->block];
}

/** Whether the 32 elements from row position j on may be decoded as one chunk. */
#define CHUNKS(a) ((a)->block >= 32)

// Adds the products x · w of the chunk at row position j, lanes kept by KEEP(prod, q), into blk.
#define ACCUMULATE(KEEP)                                                                 \
  for (int r = 0; r < R; r++) {                                                          \
    const float *xr = x + r * a->ldx + j;                                                \
    for (int q = 0; q < 8; q++) {                                                        \
      v128_t prod = wasm_f32x4_mul(wasm_v128_load(xr + 4 * q), w[q]);                    \
      blk[r * A + q % A] = wasm_f32x4_add(blk[r * A + q % A], KEEP(prod, q));            \
    }                                                                                    \
  }
#define ALL(prod, q) (prod)
#define BEFORE(prod, q) wasm_v128_and(prod, before(t, q))
#define FROM(prod, q) wasm_v128_andnot(prod, before(t, q))

// Folds the block sums into tot, scaled by block b's scale, and clears them.
#define FOLD(b)                                                                          \
  do {                                                                                   \
    v128_t s = wasm_v128_load32_splat(scales + (b));                                     \
    for (int r = 0; r < R; r++) {                                                        \
      v128_t sum = blk[r * A];                                                           \
      for (int i = 1; i < A; i++) sum = wasm_f32x4_add(sum, blk[r * A + i]);             \
      tot[r] = wasm_f32x4_add(tot[r], wasm_f32x4_mul(sum, s));                           \
      for (int i = 0; i < A; i++) blk[r * A + i] = wasm_f32x4_splat(0.0f);               \
    }                                                                                    \
  } while (0)

/**
 * y[r0 .. r0+R, o] for o in [n0, n1): R rows of x against each weight row, decoded once per row
 * and shared by the R products. As bitsandbytes' and the WebGPU GEMV do, a block's products with
 * the bare book values are summed first (A sums a row, R·A = 4 in flight) and scaled once when the
 * block ends; the row's ragged tail is decoded (and scaled) element by element.
 */
ALWAYS_INLINE void fused(const Cb4Args *a, Planes p, int R, int r0, int n0, int n1) {
  const int K = a->k, A = 4 / R;
  const unsigned block = (unsigned)a->block;
  const float *x = AT(const float *, a->x) + r0 * a->ldx;
  const float *scales = AT(const float *, a->scales);
  float *y = AT(float *, a->y) + r0 * a->ldy;
  const int chunks = CHUNKS(a);
  for (int o = n0; o < n1; o++) {
    const unsigned e0 = (unsigned)o * (unsigned)K;
    // blk: the current block's unscaled sums; tot: the scaled sums of the blocks before it.
    v128_t blk[4], tot[4];
    for (int i = 0; i < 4; i++) blk[i] = tot[i] = wasm_f32x4_splat(0.0f);
    int j = 0;
    if (chunks) {
      unsigned b = e0 / block, end = (b + 1) * block;
      for (; j + 32 <= K; j += 32) {
        // t: where in this chunk the next block starts (32 or more: not in it).
        const unsigned t = end - (e0 + (unsigned)j);
        v128_t w[8];
        book32(a, p, e0 + (unsigned)j, w);
        if (t >= 32) {
          ACCUMULATE(ALL);
        } else {
          ACCUMULATE(BEFORE);
        }
        if (t <= 32) {
          FOLD(b);
          if (t < 32) {
            ACCUMULATE(FROM);
          }
          b++;
          end += block;
        }
      }
      // The chunks ended inside block b: fold its sums in.
      if (e0 + (unsigned)j > end - block) FOLD(b);
    }
    // The ragged tail, element by element (decoded once per row of x: at most 31 elements).
    for (int r = 0; r < R; r++) {
      float tail = 0.0f;
      for (int i = j; i < K; i++) tail += x[r * a->ldx + i] * decode1(a, e0 + (unsigned)i);
      y[r * a->ldy + o] = hsum(tot[r]) + tail;
    }
  }
}

/** dst[0 .. n) = elements e0 .. e0+n of W, each exactly as decode1 gives it. */
static void decode_run(const Cb4Args *a, unsigned e0, int n, float *dst) {
  Planes p = planes(AT(const float *, a->book));
  const unsigned block = (unsigned)a->block;
  const float *scales = AT(const float *, a->scales);
  int i = 0;
  if (CHUNKS(a)) {
    unsigned b = e0 / block, end = (b + 1) * block;
    for (; i + 32 <= n; i += 32) {
      const unsigned e = e0 + (unsigned)i, t = end - e;
      v128_t w[8];
      book32(a, p, e, w);
      v128_t s0 = wasm_v128_load32_splat(scales + b);
      if (t >= 32) {
        for (int q = 0; q < 8; q++) w[q] = wasm_f32x4_mul(w[q], s0);
      } else {
        v128_t s1 = wasm_v128_load32_splat(scales + b + 1);
        for (int q = 0; q < 8; q++) w[q] = wasm_f32x4_mul(w[q], wasm_v128_bitselect(s0, s1, before(t, q)));
      }
      if (t <= 32) {
        b++;
        end += block;
      }
      for (int q = 0; q < 8; q++) wasm_v128_store(dst + i + 4 * q, w[q]);
    }
  }
  for (; i < n; i++) dst[i] = decode1(a, e0 + i);
}

/**
 * Columns [n0, n1) of y = x·Wᵀ (see Cb4Args). `scratch` (cb4_scratch_floats() floats, 16-byte
 * aligned) is needed when m > FUSED_ROWS.
 */
EXPORT void cb4_matmul(const Cb4Args *a, int n0, int n1, float *scratch) {
  const int M = a->m, K = a->k;
  if (M <= FUSED_ROWS) {
    Planes p = planes(AT(const float *, a->book));
    int r = 0;
    for (; r + 4 <= M; r += 4) fused(a, p, 4, r, n0, n1);
    if (r + 2 <= M) {
      fused(a, p, 2, r, n0, n1);
      r += 2;
    }
    if (r < M) fused(a, p, 1, r, n0, n1);
    return;
  }
  // A slice of whole weight rows (a multiple of sgemm's 8-column panels where K allows), decoded
  // row-major: the f32 product's B column-major.
  int rows = K > 0 ? SLICE_FLOATS / K : n1 - n0;
  rows = rows >= 8 ? rows & ~7 : 1;
  float *slice = scratch, *gemm_scratch = scratch + SLICE_FLOATS;
  const float *x = AT(const float *, a->x);
  float *y = AT(float *, a->y);
  for (int o = n0; o < n1; o += rows) {
    int nr = n1 - o < rows ? n1 - o : rows;
    if (K > SLICE_FLOATS) {
      // One weight row longer than the slice: decode it in pieces and sum the pieces' products.
      for (int i = 0; i < M; i++) y[i * a->ldy + o] = 0.0f;
      for (int k0 = 0; k0 < K; k0 += SLICE_FLOATS) {
        int kn = K - k0 < SLICE_FLOATS ? K - k0 : SLICE_FLOATS;
        decode_run(a, (unsigned)o * (unsigned)K + (unsigned)k0, kn, slice);
        for (int i = 0; i < M; i++) {
          const float *xi = x + i * a->ldx + k0;
          float s = 0.0f;
          for (int k = 0; k < kn; k++) s += xi[k] * slice[k];
          y[i * a->ldy + o] += s;
        }
      }
      continue;
    }
    decode_run(a, (unsigned)o * (unsigned)K, nr * K, slice);
    sgemm(M, nr, K, x, a->ldx, 1, slice, 1, K, y + o, a->ldy, gemm_scratch);
  }
}

/** dst[i] = element e0 + i of W for i < n (dequantization; only `codes`, `scales`, `block` and `book` of a are read). */
EXPORT void cb4_decode(const Cb4Args *a, int e0, int n, float *dst) {
  decode_run(a, (unsigned)e0, n, dst);
}

/** The arguments of cb8_decode as src/wasm/codebook.ts lays them out (addresses in bytes). */
typedef struct {
  /** One byte a code, one f32 scale per `block` codes, the 256 book values, added to every value. */
  int codes, scales, block, book;
  float offset;
} Cb8Args;

/**
 * dst[i] = f32(book[code(e0 + i)] · scale) + offset for i < n: 8-bit codes into a 256-value book (the
 * double-quantized absmax of the 4-bit weights: bitsandbytes' dynamic map), a table too large for a
 * register lookup, read one element at a time.
 */
EXPORT void cb8_decode(const Cb8Args *a, int e0, int n, float *dst) {
  const unsigned char *codes = AT(const unsigned char *, a->codes);
  const float *book = AT(const float *, a->book), *scales = AT(const float *, a->scales);
  const unsigned block = (unsigned)a->block;
  const float offset = a->offset;
  unsigned e = (unsigned)e0, b = e / block, end = (b + 1) * block;
  for (int i = 0; i < n; i++, e++) {
    if (e == end) {
      b++;
      end += block;
    }
    dst[i] = book[codes[e]] * scales[b] + offset;
  }
}
