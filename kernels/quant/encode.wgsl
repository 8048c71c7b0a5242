// Blockwise encoding to 4- or 8-bit codes, one output word per invocation. The code of x in a block
// with absmax s is the value index = #{midpoints t : t·s < x}; products are correctly rounded in
// WGSL, so this matches the CPU reference bit for bit (a division would not: 2.5 ulp allowed).
// Packing as in packing.wgsl.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> absmax: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
{{PARAMS}}
// m(0) n, m(1) block size, m(2) x offset, m(3) absmax offset, m(4) words, m(5) code of zero,
// then NMIDS midpoints (f32 bits), then NMIDS + 1 codes.
const NMIDS = {{NMIDS}}u;
{{PACKING}}

fn code_of(v: f32, s: f32) -> u32 {
  if (s == 0.0) { return m(5u); }
  var lo = 0u;
  var hi = NMIDS;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (mf(6u + mid) * s < v) { lo = mid + 1u; } else { hi = mid; }
  }
  return m(6u + NMIDS + lo);
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let w = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  if (w >= m(4u)) { return; }
  var word = 0u;
  for (var j = 0u; j < PER_WORD; j++) {
    let e = w * PER_WORD + j;
    if (e < m(0u)) {
      word |= code_of(x[m(2u) + e], absmax[m(3u) + e / m(1u)]) << shift_of(j);
    }
  }
  out[w] = word;
}
