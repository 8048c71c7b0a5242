// Grouped matmul over rows sorted by expert: out[r, m] = Σ_k x[r, k] · w[group[r], m, k] (or, with
// the weight strides swapped, w[group[r], k, m]). One invocation per output element; the k loop runs
// over [k0, k1) so the host can split long sums across dispatches within the adapter's loop budget,
// adding to out after the first part.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> grp: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
{{PARAMS}}
// params (moe/src/dispatch/grouped-op.ts): rows, m, k, k0, k1, accumulate, x_offset, w_offset,
// grp_offset, w_group (stride between experts), w_m, w_k (strides of m and k within an expert)

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WG}}u;
  if (i >= params.rows * params.m) { return; }
  let r = i / params.m;
  let m = i % params.m;
  let g = u32(grp[params.grp_offset + r]);
  let xb = params.x_offset + r * params.k;
  let wb = params.w_offset + g * params.w_group + m * params.w_m;
  var s = 0.0;
  for (var k = params.k0; k < params.k1; k++) {
    s += x[xb + k] * w[wb + k * params.w_k];
  }
  if (params.accumulate != 0u) { out[i] += s; } else { out[i] = s; }
}
