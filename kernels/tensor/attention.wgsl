// Fused scaled-dot-product attention with an online softmax (FlashAttention's forward pass):
// each workgroup takes BQ query rows of one (batch, head); key/value tiles of BK rows are staged
// in workgroup memory, and each thread keeps its row's running max, normaliser and weighted sum,
// so the Sq×Sk score matrix never exists in memory. Grouped-query heads read key/value head
// h / groups. With a causal mask, tiles past the block's last query position are skipped.
// One dispatch visits keys [k_lo, k_hi). When the host splits the keys over several dispatches (to
// stay within the adapter's loop budget, see @tessera/gpu's loopBudget), each row's running state
// passes between them in the output buffer: the unnormalised sum in the row's output slots and
// (max, normaliser) in a tail after all outputs; the last dispatch normalises.
// Filled by @tessera/tensor (src/webgpu/attention.ts): D, DV, BQ, BK, MASK, SEGMENTS, PARAMS, OUT.
// MASK defines hidden(b, j) (key padding); SEGMENTS defines doc(b, j), the document id of key j
// (constant 0 without segments, so every key shares the query's document).
// Parameter words: 0 B, 1 H, 2 Sq, 3 Sk, 4 groups, 5 scale (f32 bits), 6 causal, 7 window,
//   8 qOffset, 9 query blocks, 10-14 q strides (b, h, s, d) and offset, 15-19 k, 20-24 v,
//   25-27 mask strides (b, s) and offset, 28-30 segment strides (b, s) and offset,
//   31 k_lo, 32 k_hi, 33 phase (bit 0: first dispatch, start fresh; bit 1: last, write the output),
//   34 where the state tail starts (the number of outputs).
@group(0) @binding(0) var<storage, read> Q: array<f32>;
@group(0) @binding(1) var<storage, read> K: array<f32>;
@group(0) @binding(2) var<storage, read> V: array<f32>;
{{MASK}}
{{SEGMENTS}}
@group(0) @binding({{OUT}}) var<storage, read_write> O: array<f32>;
{{PARAMS}}
{{MATH}}

const D = {{D}}u;
const DV = {{DV}}u;
const BQ = {{BQ}}u;
const BK = {{BK}}u;

var<workgroup> Ks: array<f32, {{BK}} * {{D}}>;
var<workgroup> Vs: array<f32, {{BK}} * {{DV}}>;

fn at(base: u32, b: u32, h: u32, s: u32, d: u32) -> u32 {
  return m(base + 4u) + b * m(base) + h * m(base + 1u) + s * m(base + 2u) + d * m(base + 3u);
}

@compute @workgroup_size({{BQ}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let H = m(1u);
  let Sq = m(2u);
  let Sk = m(3u);
  let blocks = m(9u);
  let wg = wid.x + wid.y * nwg.x;
  let bh = wg / blocks;
  if (bh >= m(0u) * H) { return; }
  let qb = wg % blocks;
  let b = bh / H;
  let h = bh % H;
  let hk = h / m(4u);
  let scale = mf(5u);
  let causal = m(6u) != 0u;
  let window = m(7u);
  let q_off = m(8u);

  let i = qb * BQ + lid;
  let valid = i < Sq;
  let qp = q_off + i;
  var qv: array<f32, {{D}}>;
  // The query's document is that of its own key position (the host checks qOffset + Sq <= Sk).
  var own = 0;
  if (valid) {
    for (var d = 0u; d < D; d = d + 1u) { qv[d] = Q[at(10u, b, h, i, d)]; }
    own = doc(b, qp);
  }
  let phase = m(33u);
  let o = ((b * H + h) * Sq + i) * DV;
  let st = m(34u) + 2u * ((b * H + h) * Sq + i);
  var acc: array<f32, {{DV}}>;
  var run_max = neg_inf();
  var norm = 0.0;
  if (valid && (phase & 1u) == 0u) {
    for (var d = 0u; d < DV; d = d + 1u) { acc[d] = O[o + d]; }
    run_max = O[st];
    norm = O[st + 1u];
  } else {
    for (var d = 0u; d < DV; d = d + 1u) { acc[d] = 0.0; }
  }

  // Keys past the block's last query position are hidden from all of its rows.
  var k_end = min(Sk, m(32u));
  if (causal) { k_end = min(k_end, q_off + min(Sq, qb * BQ + BQ)); }

  for (var k0 = m(31u); k0 < k_end; k0 = k0 + BK) {
    for (var t = lid; t < BK * D; t = t + BQ) {
      let j = k0 + t / D;
      var x = 0.0;
      if (j < Sk) { x = K[at(15u, b, hk, j, t % D)]; }
      Ks[t] = x;
    }
    for (var t = lid; t < BK * DV; t = t + BQ) {
      let j = k0 + t / DV;
      var x = 0.0;
      if (j < Sk) { x = V[at(20u, b, hk, j, t % DV)]; }
      Vs[t] = x;
    }
    workgroupBarrier();
    if (valid) {
      for (var jj = 0u; jj < BK; jj = jj + 1u) {
        let j = k0 + jj;
        if (j >= k_end) { break; }
        if (causal && j > qp) { continue; }
        if (window > 0u && j + window <= qp) { continue; }
        if (hidden(b, j) || doc(b, j) != own) { continue; }
        var s = 0.0;
        for (var d = 0u; d < D; d = d + 1u) { s = s + qv[d] * Ks[jj * D + d]; }
        s = s * scale;
        let new_max = max(run_max, s);
        let correction = exp(run_max - new_max);
        let p = exp(s - new_max);
        norm = norm * correction + p;
        for (var d = 0u; d < DV; d = d + 1u) { acc[d] = acc[d] * correction + p * Vs[jj * DV + d]; }
        run_max = new_max;
      }
    }
    workgroupBarrier();
  }

  if (valid) {
    if ((phase & 2u) != 0u) {
      for (var d = 0u; d < DV; d = d + 1u) { O[o + d] = select(acc[d] / norm, 0.0, norm == 0.0); }
    } else {
      for (var d = 0u; d < DV; d = d + 1u) { O[o + d] = acc[d]; }
      O[st] = run_max;
      O[st + 1u] = norm;
    }
  }
}
