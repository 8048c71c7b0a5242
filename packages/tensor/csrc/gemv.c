// Single-precision vector-matrix product y = x·B (x [K], B [K, N], y [N]) for wasm32 SIMD, and its
// few-rows variant sgemm_dots: the matmuls with M = 1 (or small) are bound by reading B, so they
// stream B in its own layout instead of packing it. Pure functions: threads may run disjoint
// column ranges at once.
#include "simd.h"

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
 * y [N] contiguous. Fast when B has a unit stride (and, for a unit row stride, x is contiguous);
 * other layouts take a scalar loop (src/wasm/matmul.ts sends those through sgemm instead).
 */
EXPORT void sgemv(int N, int K, const float *x, int incx, const float *b, int rsb, int csb, float *y) {
  if (csb == 1) {
    gemv_rows(N, K, x, incx, b, rsb, y);
  } else if (rsb == 1 && incx == 1) {
    gemv_cols(N, K, x, b, csb, y);
  } else {
    for (int j = 0; j < N; j++) {
      float s = 0.0f;
      for (int k = 0; k < K; k++) s += x[k * incx] * b[k * rsb + j * csb];
      y[j] = s;
    }
  }
}

/**
 * C = A·B for a few rows of A (contiguous, row stride rsa) and B column-major (column j contiguous
 * at b + j*csb, e.g. a transposed [N, K] weight): four rows of A against two columns of B at a time,
 * eight dot products with SIMD over k, so B streams ceil(M / 4) times instead of being packed —
 * cheaper than sgemm's packing while M is small. C is [M, N] with row stride ldc.
 */
EXPORT void sgemm_dots(int M, int N, int K, const float *a, int rsa, const float *b, int csb, float *c, int ldc) {
  for (int i0 = 0; i0 < M; i0 += 4) {
    int mr = M - i0 < 4 ? M - i0 : 4;
    // Rows past M repeat the block's first row; their sums are never stored.
    const float *a0 = a + i0 * rsa, *a1 = mr > 1 ? a0 + rsa : a0, *a2 = mr > 2 ? a0 + 2 * rsa : a0,
                *a3 = mr > 3 ? a0 + 3 * rsa : a0;
    for (int j = 0; j < N; j += 2) {
      int nr = N - j < 2 ? N - j : 2;
      const float *b0 = b + j * csb, *b1 = nr > 1 ? b0 + csb : b0;
      v128_t s00 = wasm_f32x4_splat(0.0f), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00,
             s31 = s00;
      int k = 0;
      for (; k + 4 <= K; k += 4) {
        v128_t v0 = wasm_v128_load(b0 + k), v1 = wasm_v128_load(b1 + k);
        v128_t x = wasm_v128_load(a0 + k);
        s00 = wasm_f32x4_add(s00, wasm_f32x4_mul(x, v0));
        s01 = wasm_f32x4_add(s01, wasm_f32x4_mul(x, v1));
        x = wasm_v128_load(a1 + k);
        s10 = wasm_f32x4_add(s10, wasm_f32x4_mul(x, v0));
        s11 = wasm_f32x4_add(s11, wasm_f32x4_mul(x, v1));
        x = wasm_v128_load(a2 + k);
        s20 = wasm_f32x4_add(s20, wasm_f32x4_mul(x, v0));
        s21 = wasm_f32x4_add(s21, wasm_f32x4_mul(x, v1));
        x = wasm_v128_load(a3 + k);
        s30 = wasm_f32x4_add(s30, wasm_f32x4_mul(x, v0));
        s31 = wasm_f32x4_add(s31, wasm_f32x4_mul(x, v1));
      }
      float t00 = hsum(s00), t01 = hsum(s01), t10 = hsum(s10), t11 = hsum(s11), t20 = hsum(s20), t21 = hsum(s21),
            t30 = hsum(s30), t31 = hsum(s31);
      for (; k < K; k++) {
        t00 += a0[k] * b0[k];
        t01 += a0[k] * b1[k];
        t10 += a1[k] * b0[k];
        t11 += a1[k] * b1[k];
        t20 += a2[k] * b0[k];
        t21 += a2[k] * b1[k];
        t30 += a3[k] * b0[k];
        t31 += a3[k] * b1[k];
      }
      float *c0 = c + i0 * ldc + j;
      c0[0] = t00;
      if (nr > 1) c0[1] = t01;
      if (mr > 1) {
        c0[ldc] = t10;
        if (nr > 1) c0[ldc + 1] = t11;
      }
      if (mr > 2) {
        c0[2 * ldc] = t20;
        if (nr > 1) c0[2 * ldc + 1] = t21;
      }
      if (mr > 3) {
        c0[3 * ldc] = t30;
        if (nr > 1) c0[3 * ldc + 1] = t31;
      }
    }
  }
}
