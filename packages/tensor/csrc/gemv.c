// Single-precision vector-matrix product y = x·B (x [K], B [K, N], y [N]) for wasm32 SIMD: the M = 1
// case of a matmul, which is bound by reading B once, so it streams B in its own layout instead of
// packing it. Pure functions: threads may run disjoint column ranges at once.
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

static inline float hsum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

// B row-major (unit column stride): y += x[k] * B[k, :], four rows of B per pass over y.
static void gemv_rows(int N, int K, const float *x, int incx, const float *b, int rsb, float *y) {
  for (int j = 0; j < N; j++) y[j] = 0.0f;
  int k = 0;
  for (; k + 4 <= K; k += 4) {
    float s0 = x[k * incx], s1 = x[(k + 1) * incx], s2 = x[(k + 2) * incx], s3 = x[(k + 3) * incx];
    v128_t x0 = wasm_f32x4_splat(s0), x1 = wasm_f32x4_splat(s1), x2 = wasm_f32x4_splat(s2),
           x3 = wasm_f32x4_splat(s3);
    const float *b0 = b + k * rsb, *b1 = b0 + rsb, *b2 = b1 + rsb, *b3 = b2 + rsb;
    int j = 0;
    for (; j + 4 <= N; j += 4) {
      v128_t acc = wasm_v128_load(y + j);
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(x0, wasm_v128_load(b0 + j)));
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(x1, wasm_v128_load(b1 + j)));
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(x2, wasm_v128_load(b2 + j)));
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(x3, wasm_v128_load(b3 + j)));
      wasm_v128_store(y + j, acc);
    }
    for (; j < N; j++) y[j] = y[j] + s0 * b0[j] + s1 * b1[j] + s2 * b2[j] + s3 * b3[j];
  }
  for (; k < K; k++) {
    float s = x[k * incx];
    const float *bk = b + k * rsb;
    for (int j = 0; j < N; j++) y[j] += s * bk[j];
  }
}

// B column-major (unit row stride, e.g. a transposed [N, K] weight): y[j] = dot(x, B[:, j]), four
// columns at a time with SIMD over k. x must be contiguous here.
static void gemv_cols(int N, int K, const float *x, const float *b, int csb, float *y) {
  int j = 0;
  for (; j + 4 <= N; j += 4) {
    const float *c0 = b + j * csb, *c1 = c0 + csb, *c2 = c1 + csb, *c3 = c2 + csb;
    v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
    int k = 0;
    for (; k + 4 <= K; k += 4) {
      v128_t xv = wasm_v128_load(x + k);
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(xv, wasm_v128_load(c0 + k)));
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(xv, wasm_v128_load(c1 + k)));
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(xv, wasm_v128_load(c2 + k)));
      a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(xv, wasm_v128_load(c3 + k)));
    }
    float s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
    for (; k < K; k++) {
      s0 += x[k] * c0[k];
      s1 += x[k] * c1[k];
      s2 += x[k] * c2[k];
      s3 += x[k] * c3[k];
    }
    y[j] = s0;
    y[j + 1] = s1;
    y[j + 2] = s2;
    y[j + 3] = s3;
  }
  for (; j < N; j++) {
    const float *cj = b + j * csb;
    float s = 0.0f;
    for (int k = 0; k < K; k++) s += x[k] * cj[k];
    y[j] = s;
  }
}

/**
 * y = x·B for x [K] (element k at x[k*incx]), B [K, N] (element (k, j) at b[k*rsb + j*csb]) and
 * y [N] contiguous. Returns 0, or 1 when B has neither unit stride (the caller packs it first).
 */
EXPORT int sgemv(int N, int K, const float *x, int incx, const float *b, int rsb, int csb, float *y) {
  if (csb == 1) {
    gemv_rows(N, K, x, incx, b, rsb, y);
    return 0;
  }
  if (rsb == 1 && incx == 1) {
    gemv_cols(N, K, x, b, csb, y);
    return 0;
  }
  return 1;
}
