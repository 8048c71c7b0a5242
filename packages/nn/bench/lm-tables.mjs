// Host tables shared by the peers' copies of @tessera/nn's CausalLM: RoPE cos/sin [S, Dh] in the
// rotate_half layout, and the causal mask [S, S] as an additive −1e9 above the diagonal.

/** cos, sin and mask as Float32Arrays (row-major [S, Dh], [S, Dh], [S, S]). */
export function lmTables(S, Dh, base = 10000) {
  const half = Dh / 2;
  const cos = new Float32Array(S * Dh);
  const sin = new Float32Array(S * Dh);
  for (let p = 0; p < S; p++) {
    for (let i = 0; i < half; i++) {
      const a = p / base ** ((2 * i) / Dh);
      for (const j of [i, i + half]) {
        cos[p * Dh + j] = Math.cos(a);
        sin[p * Dh + j] = Math.sin(a);
      }
    }
  }
  const mask = new Float32Array(S * S);
  for (let i = 0; i < S; i++) for (let j = i + 1; j < S; j++) mask[i * S + j] = -1e9;
  return { cos, sin, mask };
}
