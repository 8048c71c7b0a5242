// Fused 4-bit matmul, tiled: out[M, P] = x[M, R] · V where V is the quantized weight W [N, K]
// (PyTorch's Linear layout) read as V[r, p] = W[p, r] (TRANS = 0: y = x·Wᵀ, P = N, R = K) or
// V[r, p] = W[r, p] (TRANS = 1: the input gradient g·W, P = K, R = N). Each workgroup decodes a
// BK × 32 tile of W from the packed codes and f32 absmax into workgroup memory and reuses it for
// 32 rows of x: no f32 copy of W exists outside the tile. T is f32, or f16 on adapters with
// shader-f16 (tiles and products in half precision, sums in f32).
// One dispatch sums r in [r_begin, r_end): the host splits an R past the adapter's loop budget (see
// @tessera/gpu's loopBudget) into dispatches whose sums add into `out`.
{{ENABLE}}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> codes: array<u32>;
@group(0) @binding(2) var<storage, read> absmax: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
{{PARAMS}}
// params (quant/src/device/ops.ts): M, P, R, K, block (block size), x_offset, codes_offset (words),
// absmax_offset, tiles_p (tiles along P), book (the 16 code values), r_begin, r_end, accumulate.
const TRANS = {{TRANS}}u;
const TILE = 32u;
const BK = 32u;
const WG = 64u;
{{PACKING}}

var<workgroup> xs: array<{{T}}, 1024>; // [TILE rows of x][BK]
var<workgroup> ws: array<{{T}}, 1024>; // [BK][TILE columns of V]

fn weight(e: u32) -> f32 {
  let word = codes[params.codes_offset + (e >> 3u)];
  return params_book(code_at(word, e & 7u)) * absmax[params.absmax_offset + e / params.block];
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x;
  let row0 = (t / params.tiles_p) * TILE;
  let col0 = (t % params.tiles_p) * TILE;
  let tx = lid % 8u;
  let ty = lid / 8u;
  let M = params.M;
  let P = params.P;
  let R = params.R;
  let r_end = params.r_end;
  var acc: array<f32, 16>;
  for (var k0 = params.r_begin; k0 < r_end; k0 += BK) {
    for (var i = 0u; i < 16u; i++) {
      let idx = lid + i * WG;
      let r = idx / BK;
      let c = idx % BK;
      let gm = row0 + r;
      let gk = k0 + c;
      xs[idx] = {{T}}(select(0.0, x[params.x_offset + gm * R + gk], gm < M && gk < r_end));
      // Consecutive threads walk along W's rows (its contiguous axis) in either orientation.
      var kk: u32;
      var pp: u32;
      if (TRANS == 0u) { kk = idx % BK; pp = idx / BK; } else { pp = idx % TILE; kk = idx / TILE; }
      let gr = k0 + kk;
      let gp = col0 + pp;
      var v = 0.0;
      if (gr < r_end && gp < P) {
        v = weight(select(gp * params.K + gr, gr * params.K + gp, TRANS == 1u));
      }
      ws[kk * TILE + pp] = {{T}}(v);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var a: array<{{T}}, 4>;
      var b: array<{{T}}, 4>;
      for (var i = 0u; i < 4u; i++) {
        a[i] = xs[(ty * 4u + i) * BK + kk];
        b[i] = ws[kk * TILE + tx * 4u + i];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] += f32(a[i] * b[j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      let gm = row0 + ty * 4u + i;
      let gp = col0 + tx * 4u + j;
      if (gm < M && gp < P) {
        let o = gm * P + gp;
        out[o] = select(0.0, out[o], params.accumulate != 0u) + acc[i * 4u + j];
      }
    }
  }
}
