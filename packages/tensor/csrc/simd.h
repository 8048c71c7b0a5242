// What the kernels share: the export marker, a horizontal sum and a vector exp. Header-only
// (static inline), so each kernel keeps everything in its own locals.
#ifndef TESSERA_SIMD_H
#define TESSERA_SIMD_H
#include <wasm_simd128.h>

/** Makes a function an export of the module (everything else is hidden: -fvisibility=hidden). */
#define EXPORT __attribute__((visibility("default")))

/** The sum of a vector's four lanes, as (0 + 1) + (2 + 3). */
static inline float hsum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

// e^x for four lanes, for x <= 88 (softmax feeds it x - max <= 0): x = n·ln2 + r with |r| <= ln2/2
// (n rounded by adding 1.5·2^23, whose low mantissa bits are then n itself), a degree-6 polynomial
// for e^r, 2^n from the exponent bits. Below -87.3 it is exactly 0 (e^-inf must be: masked scores);
// NaN stays NaN through every step.
static inline v128_t exp4(v128_t x) {
  const v128_t lo = wasm_f32x4_splat(-87.3365f), magic = wasm_f32x4_splat(12582912.0f);
  v128_t xc = wasm_f32x4_pmax(x, lo);
  v128_t t = wasm_f32x4_add(wasm_f32x4_mul(xc, wasm_f32x4_splat(1.44269504f)), magic);
  v128_t n = wasm_f32x4_sub(t, magic);
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), r), wasm_f32x4_splat(1.0f));
  v128_t scale = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_sub(t, magic), wasm_i32x4_splat(127)), 23);
  return wasm_v128_andnot(wasm_f32x4_mul(p, scale), wasm_f32x4_lt(x, lo));
}

#endif
