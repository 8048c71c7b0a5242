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
// Parameters (params.*): batch, heads, sq, sk, groups (query heads per key/value head), scale,
//   causal, window, q_start (position of query 0), blocks (query blocks), q/k/v_strides (b, h, s, d)
//   and q/k/v_offset, the mask's and segments' fields (read by MASK and SEGMENTS), k_lo, k_hi,
//   phase (bit 0: first dispatch, start fresh; bit 1: last, write the output), tail (where the
//   state tail starts: the number of outputs).
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

/** Element (b, h, s, d) of an operand with these strides (b, h, s, d) and offset. */
fn at(strides: vec4<u32>, offset: u32, b: u32, h: u32, s: u32, d: u32) -> u32 {
  return offset + b * strides.x + h * strides.y + s * strides.z + d * strides.w;
}

@compute @workgroup_size({{BQ}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let H = params.heads;
  let Sq = params.sq;
  let Sk = params.sk;
  let blocks = params.blocks;
  let wg = wid.x + wid.y * nwg.x;
  let bh = wg / blocks;
  if (bh >= params.batch * H) { return; }
  let qb = wg % blocks;
  let b = bh / H;
  let h = bh % H;
  let hk = h / params.groups;
  let scale = params.scale;
  let causal = params.causal != 0u;
  let window = params.window;
  let q_off = params.q_start;
  let q_strides = params.q_strides[0];
  let k_strides = params.k_strides[0];
  let v_strides = params.v_strides[0];

  let i = qb * BQ + lid;
  let valid = i < Sq;
  let qp = q_off + i;
  var qv: array<f32, {{D}}>;
  // The query's document is that of its own key position (the host checks qOffset + Sq <= Sk).
  var own = 0;
  if (valid) {
    for (var d = 0u; d < D; d = d + 1u) { qv[d] = Q[at(q_strides, params.q_offset, b, h, i, d)]; }
    own = doc(b, qp);
  }
  let phase = params.phase;
  let o = ((b * H + h) * Sq + i) * DV;
  let st = params.tail + 2u * ((b * H + h) * Sq + i);
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
  var k_end = min(Sk, params.k_hi);
  if (causal) { k_end = min(k_end, q_off + min(Sq, qb * BQ + BQ)); }

  for (var k0 = params.k_lo; k0 < k_end; k0 = k0 + BK) {
    for (var t = lid; t < BK * D; t = t + BQ) {
      let j = k0 + t / D;
      var x = 0.0;
      if (j < Sk) { x = K[at(k_strides, params.k_offset, b, hk, j, t % D)]; }
      Ks[t] = x;
    }
    for (var t = lid; t < BK * DV; t = t + BQ) {
      let j = k0 + t / DV;
      var x = 0.0;
      if (j < Sk) { x = V[at(v_strides, params.v_offset, b, hk, j, t % DV)]; }
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
