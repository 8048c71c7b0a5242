// Grouped matmul over rows sorted by expert, tiled: out[r, m] = Σ_k x[r, k] · w[group[r], m, k] (or,
// with the weight strides swapped, w[group[r], k, m]). Each workgroup computes a BM × BN tile of out,
// stepping over k in slices of BK staged in workgroup memory, each thread a TM × TN block in
// registers. Rows are sorted, so a tile's rows hold a run of experts (one, when experts have BM rows
// or more): the tile is computed once per expert present in it, staging that expert's weights and
// only its rows (the others as zeros), so every weight is read once per tile and expert.
// One dispatch sums k in [k0, k1): the host splits long sums across dispatches within the adapter's
// loop budget, adding to out after the first part.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> grp: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
{{PARAMS}}
// params (moe/src/dispatch/grouped-op.ts): rows, m, k, k0, k1, accumulate, x_offset, w_offset,
// grp_offset, w_group (stride between experts), w_m, w_k (strides of m and k within an expert),
// tiles_n (tiles along m)

const TM = 4u;
const TN = 4u;
const WGX = 8u;
const WGY = 8u;
const BK = 16u;
const BM = TM * WGY;
const BN = TN * WGX;
const NT = WGX * WGY;

var<workgroup> xs: array<f32, BK * BM>; // [k][row]
var<workgroup> ws: array<f32, BK * BN>; // [k][column]
var<workgroup> gs: array<i32, BM>; // each row's expert, -1 past the last row
var<workgroup> next_group: i32;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x;
  let row0 = (t / params.tiles_n) * BM;
  if (row0 >= params.rows) { return; }
  let col0 = (t % params.tiles_n) * BN;
  let tx = lid % WGX;
  let ty = lid / WGX;
  let K = params.k;
  let k1 = params.k1;
  if (lid < BM) {
    let r = row0 + lid;
    gs[lid] = select(-1, grp[params.grp_offset + min(r, params.rows - 1u)], r < params.rows);
  }
  if (lid == 0u) { next_group = grp[params.grp_offset + row0]; }
  var g = workgroupUniformLoad(&next_group);
  var acc: array<f32, 16>; // TM * TN
  loop {
    let wb = params.w_offset + u32(g) * params.w_group;
    for (var k0 = params.k0; k0 < k1; k0 += BK) {
      for (var l = lid; l < BM * BK; l += NT) {
        let r = l / BK;
        let c = l % BK;
        var v = 0.0;
        if (gs[r] == g && k0 + c < k1) { v = x[params.x_offset + (row0 + r) * K + k0 + c]; }
        xs[c * BM + r] = v;
      }
      for (var l = lid; l < BN * BK; l += NT) {
        let r = l / BN;
        let c = l % BN;
        var v = 0.0;
        if (k0 + r < k1 && col0 + c < params.m) { v = w[wb + (col0 + c) * params.w_m + (k0 + r) * params.w_k]; }
        ws[r * BN + c] = v;
      }
      workgroupBarrier();
      for (var kk = 0u; kk < BK; kk++) {
        var a: array<f32, 4>;
        var b: array<f32, 4>;
        for (var i = 0u; i < TM; i++) { a[i] = xs[kk * BM + ty * TM + i]; }
        for (var j = 0u; j < TN; j++) { b[j] = ws[kk * BN + tx * TN + j]; }
        for (var i = 0u; i < TM; i++) {
          for (var j = 0u; j < TN; j++) { acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]); }
        }
      }
      workgroupBarrier();
    }
    // The next expert of the tile: that of its first row past this expert's rows (-1: none).
    if (lid == 0u) {
      var n = -1;
      for (var i = 0u; i < BM; i++) {
        if (gs[i] > g) { n = gs[i]; break; }
      }
      next_group = n;
    }
    g = workgroupUniformLoad(&next_group);
    if (g < 0) { break; }
  }
  let accumulate = params.accumulate != 0u;
  for (var i = 0u; i < TM; i++) {
    let r = row0 + ty * TM + i;
    if (r >= params.rows) { break; }
    for (var j = 0u; j < TN; j++) {
      let c = col0 + tx * TN + j;
      if (c < params.m) {
        let o = r * params.m + c;
        if (accumulate) { out[o] += acc[i * TN + j]; } else { out[o] = acc[i * TN + j]; }
      }
    }
  }
}
