// Per-expert sum of outer products over rows sorted by expert (the weight gradient of a grouped
// matmul), tiled: out[e, a, b] = Σ_{r in group e} u[r, a] · v[r, b], group e being rows
// offsets[e] .. offsets[e + 1]. Each workgroup computes a BA × BB tile of one expert's output,
// stepping over the group's rows in slices of BR staged in workgroup memory, each thread a TA × TB
// block in registers. One dispatch takes rows [r0, r1) of each group: the host splits long groups
// across dispatches within the adapter's loop budget, adding to out after the first part.
@group(0) @binding(0) var<storage, read> u: array<f32>;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read> offsets: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
{{PARAMS}}
// params (moe/src/dispatch/grouped-op.ts): experts, a, b, r0, r1, accumulate, u_offset, v_offset,
// offsets_offset, tiles_a, tiles_b (tiles along a and b)

const TA = 4u;
const TB = 4u;
const WGX = 8u;
const WGY = 8u;
const BR = 16u;
const BA = TA * WGY;
const BB = TB * WGX;
const NT = WGX * WGY;

var<workgroup> us: array<f32, BR * BA>; // [row][a]
var<workgroup> vs: array<f32, BR * BB>; // [row][b]

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x;
  let per_expert = params.tiles_a * params.tiles_b;
  let e = t / per_expert;
  if (e >= params.experts) { return; }
  let a0 = ((t % per_expert) / params.tiles_b) * BA;
  let b0 = (t % params.tiles_b) * BB;
  let tx = lid % WGX;
  let ty = lid / WGX;
  let A = params.a;
  let B = params.b;
  let start = u32(offsets[params.offsets_offset + e]);
  let end = min(start + params.r1, u32(offsets[params.offsets_offset + e + 1u]));
  var acc: array<f32, 16>; // TA * TB
  for (var r0 = start + params.r0; r0 < end; r0 += BR) {
    for (var l = lid; l < BR * BA; l += NT) {
      let r = l / BA;
      let c = l % BA;
      var x = 0.0;
      if (r0 + r < end && a0 + c < A) { x = u[params.u_offset + (r0 + r) * A + a0 + c]; }
      us[l] = x;
    }
    for (var l = lid; l < BR * BB; l += NT) {
      let r = l / BB;
      let c = l % BB;
      var x = 0.0;
      if (r0 + r < end && b0 + c < B) { x = v[params.v_offset + (r0 + r) * B + b0 + c]; }
      vs[l] = x;
    }
    workgroupBarrier();
    for (var rr = 0u; rr < BR; rr++) {
      var p: array<f32, 4>;
      var q: array<f32, 4>;
      for (var i = 0u; i < TA; i++) { p[i] = us[rr * BA + ty * TA + i]; }
      for (var j = 0u; j < TB; j++) { q[j] = vs[rr * BB + tx * TB + j]; }
      for (var i = 0u; i < TA; i++) {
        for (var j = 0u; j < TB; j++) { acc[i * TB + j] = fma(p[i], q[j], acc[i * TB + j]); }
      }
    }
    workgroupBarrier();
  }
  let accumulate = params.accumulate != 0u;
  for (var i = 0u; i < TA; i++) {
    let ai = a0 + ty * TA + i;
    if (ai >= A) { break; }
    for (var j = 0u; j < TB; j++) {
      let bj = b0 + tx * TB + j;
      if (bj < B) {
        let o = (e * A + ai) * B + bj;
        if (accumulate) { out[o] += acc[i * TB + j]; } else { out[o] = acc[i * TB + j]; }
      }
    }
  }
}
