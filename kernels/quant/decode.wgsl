// Blockwise decoding of 4- or 8-bit codes (layout as in encode.wgsl): code value × the block's
// absmax, plus a constant offset (double quantization's mean; 0 otherwise). One word per invocation.
@group(0) @binding(0) var<storage, read> codes: array<u32>;
@group(0) @binding(1) var<storage, read> absmax: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
{{PARAMS}}
// params (quant/src/device/ops.ts): n, block (block size), codes_offset (words), absmax_offset,
// words, shift (the added offset), book (the 2^BITS code values).
{{PACKING}}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let w = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  if (w >= params.words) { return; }
  let word = codes[params.codes_offset + w];
  for (var j = 0u; j < PER_WORD; j++) {
    let e = w * PER_WORD + j;
    if (e < params.n) {
      let c = code_at(word, j);
      out[e] = params_book(c) * absmax[params.absmax_offset + e / params.block] + params.shift;
    }
  }
}
