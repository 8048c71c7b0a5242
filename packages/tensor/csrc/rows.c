// Row kernels over contiguous rows of `len` floats: softmax, log-softmax, layer norm and RMS norm,
// four lanes at a time. No libm here (-nostdlib): exp and log are the Cephes single-precision
// polynomials, to about 2 ulp. `y` may equal `x`.
#include "simd.h"

static inline float exp1(float x) { return wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(x)), 0); }

// ln(s) for s > 0: s = m·2^e with m in [√½, √2), ln m = 2·atanh((m-1)/(m+1)) by its odd series.
static float log1(float s) {
  if (!(s > 0.0f) || s == __builtin_inff()) return s > 0.0f ? s : (s == 0.0f ? -__builtin_inff() : __builtin_nanf(""));
  union { float f; int i; } u = {s};
  int e = ((u.i >> 23) & 255) - 127;
  u.i = (u.i & 0x007fffff) | 0x3f800000;
  float m = u.f;
  if (m > 1.41421356f) {
    m *= 0.5f;
    e += 1;
  }
  float t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
  float series = t * (2.0f + t2 * (2.0f / 3 + t2 * (2.0f / 5 + t2 * (2.0f / 7 + t2 * (2.0f / 9)))));
  return (float)e * 0.693147181f + series;
}

static inline float max_nan(float m, float v) { return (v > m || v != v) ? v : m; }

// The largest value of a row (or NaN, from the scalar tail).
static float row_max(const float *x, int len) {
  v128_t m4 = wasm_f32x4_splat(-__builtin_inff());
  int j = 0;
  // pmax skips NaN (cheaper than max's NaN rule on x86): a NaN element still makes the whole row NaN
  // through its exp in the sum, as the CPU reference's NaN maximum does.
  for (; j + 4 <= len; j += 4) m4 = wasm_f32x4_pmax(m4, wasm_v128_load(x + j));
  float m = max_nan(max_nan(wasm_f32x4_extract_lane(m4, 0), wasm_f32x4_extract_lane(m4, 1)),
                    max_nan(wasm_f32x4_extract_lane(m4, 2), wasm_f32x4_extract_lane(m4, 3)));
  for (; j < len; j++) m = max_nan(m, x[j]);
  return m;
}

/** Softmax (log = 0) or log-softmax (log = 1) of each of `rows` rows of `len` floats. */
EXPORT void softmax_rows(const float *x, float *y, int rows, int len, int log) {
  for (int r = 0; r < rows; r++, x += len, y += len) {
    float mx = row_max(x, len);
    v128_t m4 = wasm_f32x4_splat(mx), s4 = wasm_f32x4_splat(0.0f);
    int j = 0;
    for (; j + 4 <= len; j += 4) {
      v128_t e = exp4(wasm_f32x4_sub(wasm_v128_load(x + j), m4));
      if (!log) wasm_v128_store(y + j, e);
      s4 = wasm_f32x4_add(s4, e);
    }
    float s = hsum(s4);
    for (; j < len; j++) {
      float e = exp1(x[j] - mx);
      if (!log) y[j] = e;
      s += e;
    }
    if (log) {
      // (x - max) - ln s, not x - (max + ln s): max + ln s rounds back to max when max is huge.
      float ls = log1(s);
      v128_t l4 = wasm_f32x4_splat(ls);
      for (j = 0; j + 4 <= len; j += 4)
        wasm_v128_store(y + j, wasm_f32x4_sub(wasm_f32x4_sub(wasm_v128_load(x + j), m4), l4));
      for (; j < len; j++) y[j] = (x[j] - mx) - ls;
    } else {
      float inv = 1.0f / s;
      v128_t i4 = wasm_f32x4_splat(inv);
      for (j = 0; j + 4 <= len; j += 4) wasm_v128_store(y + j, wasm_f32x4_mul(wasm_v128_load(y + j), i4));
      for (; j < len; j++) y[j] *= inv;
    }
  }
}

/**
 * Layer norm (center = 1: (x - mean) / sqrt(var + eps)) or RMS norm (center = 0: x / sqrt(mean(x²)
 * + eps)) of each row, with the variance from a second pass over the centred row.
 */
EXPORT void norm_rows(const float *x, float *y, int rows, int len, float eps, int center) {
  for (int r = 0; r < rows; r++, x += len, y += len) {
    float mean = 0.0f;
    int j;
    if (center) {
      v128_t s4 = wasm_f32x4_splat(0.0f);
      for (j = 0; j + 4 <= len; j += 4) s4 = wasm_f32x4_add(s4, wasm_v128_load(x + j));
      float s = hsum(s4);
      for (; j < len; j++) s += x[j];
      mean = s / (float)len;
    }
    v128_t m4 = wasm_f32x4_splat(mean), q4 = wasm_f32x4_splat(0.0f);
    for (j = 0; j + 4 <= len; j += 4) {
      v128_t d = wasm_f32x4_sub(wasm_v128_load(x + j), m4);
      q4 = wasm_f32x4_add(q4, wasm_f32x4_mul(d, d));
    }
    float q = hsum(q4);
    for (; j < len; j++) q += (x[j] - mean) * (x[j] - mean);
    float rstd = 1.0f / __builtin_sqrtf(q / (float)len + eps);
    v128_t r4 = wasm_f32x4_splat(rstd), zero = wasm_f32x4_splat(0.0f);
    // Layer norm adds +0 (as PyTorch's x·scale + bias with a zero bias): a −0 result is +0 there.
    for (j = 0; j + 4 <= len; j += 4) {
      v128_t v = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + j), m4), r4);
      wasm_v128_store(y + j, center ? wasm_f32x4_add(v, zero) : v);
    }
    for (; j < len; j++) y[j] = center ? (x[j] - mean) * rstd + 0.0f : (x[j] - mean) * rstd;
  }
}
