// One-hot: one invocation per output element (coalesced writes), out[r * classes + c] =
// (index[r] == c). An index outside [0, classes) is reported once per row (by c = 0) and its row
// left all zeros.
// Filled by @tessera/tensor (src/webgpu/indexing.ts):
//   PARAMS  parameter block (binding 3): params.n output elements, params.classes, then the view's fields
//   INDEX   idx_ix(r): offset of the r-th index (row-major over the index's shape)
//   FAULT   fault.wgsl; WG  threads per workgroup
@group(0) @binding(0) var<storage, read> ix: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<storage, read_write> fault: array<atomic<u32>, 4>;
{{PARAMS}}
{{INDEX}}
{{FAULT}}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  if (i >= params.n) { return; }
  let classes = params.classes;
  let r = i / classes;
  let c = i - r * classes;
  let t = ix[idx_ix(r)];
  if (t < 0 || u32(t) >= classes) {
    if (c == 0u) { report(t, classes); }
    out[i] = 0;
    return;
  }
  out[i] = select(0, 1, u32(t) == c);
}
