// Blockwise absolute maximum: one workgroup per block, one tree reduction, all in integers on the f32
// bit patterns (for finite floats, |x|'s bits order as its value), so no adapter's handling of
// subnormals can change the result. A shorter last block's maximum is raised to at least 1e-38
// (FLOOR), as bitsandbytes stores it. A non-finite element makes the block's result -1.0, which the
// host reports as an error.
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
{{PARAMS}}
// params (quant/src/device/ops.ts): n, block (block size), x_offset, blocks

const FLOOR = {{FLOOR}}u;
const BAD = 0xffffffffu;

var<workgroup> red: array<u32, {{WG}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let b = wid.x + wid.y * nwg.x;
  if (b >= params.blocks) { return; }
  let start = b * params.block;
  let end = min(start + params.block, params.n);
  var a = 0u;
  for (var i = start + lid; i < end; i += {{WG}}u) {
    let v = x[params.x_offset + i] & 0x7fffffffu;
    // Exponent all ones: Inf or NaN. BAD is the largest u32, so the maximum keeps it.
    a = max(a, select(v, BAD, v >= 0x7f800000u));
  }
  red[lid] = a;
  workgroupBarrier();
  for (var s = {{WG}}u / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let r = red[0];
    if (r == BAD) { out[b] = 0xbf800000u; }  // -1.0
    else if (end - start < params.block) { out[b] = max(r, FLOOR); }
    else { out[b] = r; }
  }
}
