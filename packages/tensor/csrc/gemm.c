// Single-precision matrix multiply for wasm32 with 128-bit SIMD: C = A·B with A [M, K] and B [K, N]
// read through arbitrary element strides, C [M, N] row-major with row stride ldc.
//
// The structure is the BLIS one (Goto's algorithm): B is packed, a K-block at a time, into panels NR
// columns wide that stay in L1/L2 while every packed MR-row panel of A streams past them; the
// micro-kernel keeps an MR x NR tile of C in registers (MR*NR/4 f32x4 accumulators) across the
// K-block. Wasm engines map v128 onto x86's 16 xmm registers, so the tile is 6x8: 12 accumulators,
// two B vectors and one broadcast A value.
//
// Every function is pure (state lives in caller-given scratch), so threads may run disjoint row
// ranges of one product at once.
#include "simd.h"

#ifndef MR
#define MR 6
#endif
#ifndef NV
#define NV 2
#endif
#define NR (4 * NV)
#ifndef KC
#define KC 256
#endif
#ifndef MC
#define MC 96
#endif
#ifndef NC
#define NC 2048
#endif

/** Floats of scratch one sgemm call needs: a packed A block and a packed B block. */
EXPORT int sgemm_scratch_floats(void) { return MC * KC + KC * NC + MR * NR; }

// The packing routines stay out of line: inlined into sgemm's loop nest they cost the micro-kernel
// its register allocation (measured: 512³ from 23.7 to 16.8 GFLOP/s).

// Packs rows [0, mc) x cols [0, kc) of A into MR-row panels, k-major inside a panel; rows past mc
// are zero so the micro-kernel always runs full tiles (their results are never stored).
__attribute__((noinline)) static void pack_a(int mc, int kc, const float *a, int rs, int cs, float *restrict dst) {
  for (int i0 = 0; i0 < mc; i0 += MR) {
    int rows = mc - i0 < MR ? mc - i0 : MR;
    const float *src = a + i0 * rs;
    if (cs == 1) {
      for (int k = 0; k < kc; k++) {
        int i = 0;
        for (; i < rows; i++) dst[k * MR + i] = src[i * rs + k];
        for (; i < MR; i++) dst[k * MR + i] = 0.0f;
      }
    } else if (rs == 1) {
      // A transposed (column-major): each k reads `rows` consecutive floats.
      for (int k = 0; k < kc; k++) {
        int i = 0;
        for (; i < rows; i++) dst[k * MR + i] = src[k * cs + i];
        for (; i < MR; i++) dst[k * MR + i] = 0.0f;
      }
    } else {
      for (int i = 0; i < MR; i++)
        for (int k = 0; k < kc; k++) dst[k * MR + i] = i < rows ? src[i * rs + k * cs] : 0.0f;
    }
    dst += kc * MR;
  }
}

// Packs rows [0, kc) x cols [0, nc) of B into NR-column panels, k-major inside a panel, zero-padded.
__attribute__((noinline)) static void pack_b(int kc, int nc, const float *b, int rs, int cs, float *restrict dst) {
  for (int j0 = 0; j0 < nc; j0 += NR) {
    int cols = nc - j0 < NR ? nc - j0 : NR;
    const float *src = b + j0 * cs;
    if (cs == 1 && cols == NR) {
      for (int k = 0; k < kc; k++) {
        for (int v = 0; v < NV; v++) wasm_v128_store(dst + k * NR + 4 * v, wasm_v128_load(src + k * rs + 4 * v));
      }
    } else if (cs == 1) {
      for (int k = 0; k < kc; k++)
        for (int j = 0; j < NR; j++) dst[k * NR + j] = j < cols ? src[k * rs + j] : 0.0f;
    } else if (rs == 1 && cols == NR) {
      // B transposed (column-major, e.g. a [N, K] weight): 4x4 blocks read down four columns and
      // transposed in registers into four rows of the panel.
      int k = 0;
      for (; k + 4 <= kc; k += 4)
        for (int h = 0; h < NR; h += 4) {
          v128_t c0 = wasm_v128_load(src + h * cs + k), c1 = wasm_v128_load(src + (h + 1) * cs + k);
          v128_t c2 = wasm_v128_load(src + (h + 2) * cs + k), c3 = wasm_v128_load(src + (h + 3) * cs + k);
          v128_t t0 = wasm_i32x4_shuffle(c0, c1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(c0, c1, 2, 6, 3, 7);
          v128_t t2 = wasm_i32x4_shuffle(c2, c3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(c2, c3, 2, 6, 3, 7);
          wasm_v128_store(dst + k * NR + h, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
          wasm_v128_store(dst + (k + 1) * NR + h, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
          wasm_v128_store(dst + (k + 2) * NR + h, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
          wasm_v128_store(dst + (k + 3) * NR + h, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
        }
      for (; k < kc; k++)
        for (int j = 0; j < NR; j++) dst[k * NR + j] = src[k + j * cs];
    } else {
      for (int j = 0; j < NR; j++)
        for (int k = 0; k < kc; k++) dst[k * NR + j] = j < cols ? src[k * rs + j * cs] : 0.0f;
    }
    dst += kc * NR;
  }
}

// C[0:MR, 0:NR] (+)= packed A panel x packed B panel over kc. `accumulate` is 0 on the first
// K-block, so C need not be zeroed first. Only rows < mr and cols < nr are stored. The loops have
// constant bounds: clang unrolls them and keeps the accumulators in registers.
// Edge tiles go through `tile` (MR*NR floats of scratch: nothing lives on the shadow stack, which
// threads sharing one memory would share too).
static void micro(int kc, const float *restrict a, const float *restrict b, float *c, int ldc, int mr, int nr,
                  int accumulate, float *restrict tile) {
  v128_t acc[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int v = 0; v < NV; v++) acc[i][v] = wasm_f32x4_splat(0.0f);
  for (int k = 0; k < kc; k++) {
    v128_t bv[NV];
    for (int v = 0; v < NV; v++) bv[v] = wasm_v128_load(b + 4 * v);
    for (int i = 0; i < MR; i++) {
      v128_t ai = wasm_v128_load32_splat(a + i);
      for (int v = 0; v < NV; v++) acc[i][v] = wasm_f32x4_add(acc[i][v], wasm_f32x4_mul(ai, bv[v]));
    }
    a += MR;
    b += NR;
  }
  if (mr == MR && nr == NR) {
    for (int i = 0; i < MR; i++)
      for (int v = 0; v < NV; v++) {
        float *p = c + i * ldc + 4 * v;
        wasm_v128_store(p, accumulate ? wasm_f32x4_add(acc[i][v], wasm_v128_load(p)) : acc[i][v]);
      }
    return;
  }
  for (int i = 0; i < MR; i++)
    for (int v = 0; v < NV; v++) wasm_v128_store(tile + i * NR + 4 * v, acc[i][v]);
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) c[i * ldc + j] = (accumulate ? c[i * ldc + j] : 0.0f) + tile[i * NR + j];
}

/**
 * C = A·B for A [M, K] (element (i, k) at a[i*rsa + k*csa]), B [K, N] (at b[k*rsb + j*csb]) and
 * C [M, N] at c[i*ldc + j]. `scratch` holds sgemm_scratch_floats() floats, 16-byte aligned.
 */
EXPORT void sgemm(int M, int N, int K, const float *a, int rsa, int csa, const float *b, int rsb, int csb,
                  float *c, int ldc, float *scratch) {
  float *pa = scratch;
  float *pb = scratch + MC * KC;
  float *tile = pb + KC * NC;
  if (K == 0) {
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) c[i * ldc + j] = 0.0f;
    return;
  }
  for (int jc = 0; jc < N; jc += NC) {
    int nc = N - jc < NC ? N - jc : NC;
    for (int pc = 0; pc < K; pc += KC) {
      int kc = K - pc < KC ? K - pc : KC;
      pack_b(kc, nc, b + pc * rsb + jc * csb, rsb, csb, pb);
      for (int ic = 0; ic < M; ic += MC) {
        int mc = M - ic < MC ? M - ic : MC;
        pack_a(mc, kc, a + ic * rsa + pc * csa, rsa, csa, pa);
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = nc - jr < NR ? nc - jr : NR;
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = mc - ir < MR ? mc - ir : MR;
            micro(kc, pa + ir * kc, pb + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, mr, nr, pc > 0, tile);
          }
        }
      }
    }
  }
}
