// Fused 4-bit GEMV for batch 1 (decoding): y[p] = Σ_k x[k] · W[p, k], one workgroup per output row
// as in bitsandbytes' kgemm_4bit_inference: threads stride along the row a word (8 codes) at a time
// when rows start on a word (K % 8 == 0), element by element otherwise; one tree reduction.
// T is f32, or f16 on adapters with shader-f16 (products in half precision, sums in f32).
// One dispatch sums k in [k_begin, k_end): the host splits a K past the adapter's loop budget (see
// @tessera/gpu's loopBudget) into dispatches whose sums add into `out`.
{{ENABLE}}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> codes: array<u32>;
@group(0) @binding(2) var<storage, read> absmax: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
{{PARAMS}}
// params (quant/src/device/ops.ts): N, K, block (block size), x_offset, codes_offset (words),
// absmax_offset, book (the 16 code values), k_begin (a multiple of 8), k_end, accumulate.
const ALIGNED = {{ALIGNED}}u;

{{PACKING}}

var<workgroup> red: array<f32, {{WG}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = wid.x + wid.y * nwg.x;
  if (p >= params.N) { return; }
  let K = params.K;
  let bs = params.block;
  let e0 = p * K;
  var acc = 0.0;
  if (ALIGNED == 1u) {
    for (var w = params.k_begin / 8u + lid; w < params.k_end / 8u; w += {{WG}}u) {
      let word = codes[params.codes_offset + e0 / 8u + w];
      // A block spans a multiple of 8 codes, so one word has one absmax.
      let s = absmax[params.absmax_offset + (e0 + w * 8u) / bs];
      var dot = 0.0;
      for (var j = 0u; j < 8u; j++) {
        dot += f32({{T}}(params_book(code_at(word, j))) * {{T}}(x[params.x_offset + w * 8u + j]));
      }
      acc += dot * s;
    }
  } else {
    for (var k = params.k_begin + lid; k < params.k_end; k += {{WG}}u) {
      let e = e0 + k;
      let c = code_at(codes[params.codes_offset + (e >> 3u)], e & 7u);
      acc += f32({{T}}(params_book(c)) * {{T}}(x[params.x_offset + k])) * absmax[params.absmax_offset + e / bs];
    }
  }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = {{WG}}u / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[p] = select(0.0, out[p], params.accumulate != 0u) + red[0]; }
}
