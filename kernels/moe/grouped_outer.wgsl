// Per-expert sum of outer products over rows sorted by expert (the weight gradient of a grouped
// matmul): out[e, a, b] = Σ_{r in group e} u[r, a] · v[r, b], group e being rows
// offsets[e] .. offsets[e + 1]. One invocation per output element; the rows of a group are taken
// from [r0, r1) of it so the host can split long groups across dispatches within the adapter's loop
// budget, adding to out after the first part.
@group(0) @binding(0) var<storage, read> u: array<f32>;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read> offsets: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
{{PARAMS}}
// params (moe/src/dispatch/grouped-op.ts): experts, a, b, r0, r1, accumulate, u_offset, v_offset,
// offsets_offset

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WG}}u;
  if (i >= params.experts * params.a * params.b) { return; }
  let e = i / (params.a * params.b);
  let a = (i / params.b) % params.a;
  let b = i % params.b;
  let start = u32(offsets[params.offsets_offset + e]);
  let end = u32(offsets[params.offsets_offset + e + 1u]);
  var s = 0.0;
  for (var r = start + params.r0; r < min(start + params.r1, end); r++) {
    s += u[params.u_offset + r * params.a + a] * v[params.v_offset + r * params.b + b];
  }
  if (params.accumulate != 0u) { out[i] += s; } else { out[i] = s; }
}
