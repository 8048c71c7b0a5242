// Scaled-dot-product attention over contiguous q [B, H, Sq, D], k [B, Hkv, Sk, D], v [B, Hkv, Sk, Dv]
// (grouped-query: H a multiple of Hkv), one query row at a time: its scores against every visible
// key (SIMD dot products over D), a softmax, and the weighted sum of the visible values (SIMD over
// Dv). The rules are the CPU reference's (src/cpu/attention.ts): causal and sliding-window masks,
// a key padding mask, document ids, and zeros for a row that sees no key.
#include "simd.h"

/** The kernel's arguments as laid out in memory by src/wasm/attention.ts (addresses as ints). */
typedef struct {
  int q, k, v, o;
  int B, H, Hkv, Sq, Sk, D, Dv;
  float scale;
  int causal, window, q_offset;
  /** 0, or [B, Sk] ints: nonzero hides the key (padding). */
  int hidden;
  /** 0, or [B, Sk] document ids: a query sees only keys of its own document. */
  int docs;
} AttentionArgs;

static inline float dot(const float *a, const float *b, int n) {
  v128_t s = wasm_f32x4_splat(0.0f);
  int d = 0;
  for (; d + 4 <= n; d += 4) s = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_v128_load(a + d), wasm_v128_load(b + d)));
  float t = hsum(s);
  for (; d < n; d++) t += a[d] * b[d];
  return t;
}

#define F(p) ((float *)(__SIZE_TYPE__)(unsigned)(p))
#define I(p) ((const int *)(__SIZE_TYPE__)(unsigned)(p))

/** Output rows [start, start + count) of the B·H·Sq query rows; `s` is Sk floats of scratch. */
void attention_rows(const AttentionArgs *a, int start, int count, float *s) {
  const int groups = a->H / a->Hkv, D = a->D, Dv = a->Dv, Sk = a->Sk;
  const int *hidden = a->hidden ? I(a->hidden) : 0, *docs = a->docs ? I(a->docs) : 0;
  for (int row = start; row < start + count; row++) {
    const int i = row % a->Sq, bh = row / a->Sq, h = bh % a->H, b = bh / a->H;
    const int qp = a->q_offset + i;
    const float *q = F(a->q) + (long)row * D;
    const float *k = F(a->k) + (long)(b * a->Hkv + h / groups) * Sk * D;
    const float *v = F(a->v) + (long)(b * a->Hkv + h / groups) * Sk * Dv;
    float *o = F(a->o) + (long)row * Dv;
    const int own = docs ? docs[b * Sk + qp] : 0;
    float mx = -__builtin_inff();
    for (int j = 0; j < Sk; j++) {
      int visible = (!hidden || hidden[b * Sk + j] == 0) && (!docs || docs[b * Sk + j] == own) &&
                    (!a->causal || j <= qp) && (a->window <= 0 || j > qp - a->window);
      if (!visible) {
        s[j] = -__builtin_inff();
        continue;
      }
      s[j] = dot(q, k + (long)j * D, D) * a->scale;
      mx = (s[j] > mx || s[j] != s[j]) ? s[j] : mx;
    }
    for (int d = 0; d < Dv; d++) o[d] = 0.0f;
    if (mx == -__builtin_inff()) continue;  // no visible key: zeros
    v128_t m4 = wasm_f32x4_splat(mx), t4 = wasm_f32x4_splat(0.0f);
    int j = 0;
    for (; j + 4 <= Sk; j += 4) {
      v128_t e = exp4(wasm_f32x4_sub(wasm_v128_load(s + j), m4));
      wasm_v128_store(s + j, e);
      t4 = wasm_f32x4_add(t4, e);
    }
    float total = hsum(t4);
    for (; j < Sk; j++) {
      s[j] = wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(s[j] - mx)), 0);
      total += s[j];
    }
    const float inv = 1.0f / total;
    for (j = 0; j < Sk; j++) {
      if (s[j] == 0.0f) continue;  // hidden (and underflowed) keys: skip, so an inf value cannot make 0·inf
      const v128_t w = wasm_f32x4_splat(s[j] * inv);
      const float *vj = v + (long)j * Dv;
      int d = 0;
      for (; d + 4 <= Dv; d += 4) wasm_v128_store(o + d, wasm_f32x4_add(wasm_v128_load(o + d), wasm_f32x4_mul(w, wasm_v128_load(vj + d))));
      for (; d < Dv; d++) o[d] += s[j] * inv * vj[d];
    }
  }
}
