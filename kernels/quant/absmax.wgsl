// Blockwise absolute maximum: one workgroup per block, one tree reduction.
// A non-finite element makes the block's result -1, which the host reports as an error.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
{{PARAMS}}
// m(0) n, m(1) block size, m(2) x offset, m(3) blocks

var<workgroup> red: array<f32, {{WG}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let b = wid.x + wid.y * nwg.x;
  if (b >= m(3u)) { return; }
  let end = min(b * m(1u) + m(1u), m(0u));
  var a = 0.0;
  for (var i = b * m(1u) + lid; i < end; i += {{WG}}u) {
    let v = x[m(2u) + i];
    // Exponent all ones: Inf or NaN (max() with NaN is unspecified in WGSL).
    if ((bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u) { a = -1.0; break; }
    a = max(a, abs(v));
  }
  red[lid] = a;
  workgroupBarrier();
  for (var s = {{WG}}u / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let o = red[lid + s];
      red[lid] = select(max(red[lid], o), -1.0, red[lid] < 0.0 || o < 0.0);
    }
    workgroupBarrier();
  }
  if (lid == 0u) { out[b] = red[0]; }
}
