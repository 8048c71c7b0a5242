// Gather: one invocation per output element, out[i] = x[base(i) + index[i] * stride], for
// torch.gather and index_select (whose 1-D index is seen over the output shape, stride 0 off the
// axis). An index outside [0, size), negative ones included (they are not wrapped), is reported to
// the fault block and its element set to 0, since a kernel cannot throw.
// Filled by @tessera/tensor (src/webgpu/indexing.ts):
//   T       element type of x and out
//   PARAMS  parameter block (binding 4): params.n output elements, params.size and params.stride
//           (x's size and stride along the axis), then the views' fields
//   INDEX   idx_ix(i): offset of element i's index; idx_xb(i): offset in x of element i's position
//           with the axis coordinate set to 0
//   FAULT   fault.wgsl
//   WG      threads per workgroup
alias T = {{T}};
@group(0) @binding(0) var<storage, read> x: array<T>;
@group(0) @binding(1) var<storage, read> ix: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<T>;
@group(0) @binding(3) var<storage, read_write> fault: array<atomic<u32>, 4>;
{{PARAMS}}
{{INDEX}}
{{FAULT}}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  if (i >= params.n) { return; }
  let t = ix[idx_ix(i)];
  let size = params.size;
  if (t < 0 || u32(t) >= size) {
    report(t, size);
    out[i] = T(0);
    return;
  }
  out[i] = x[idx_xb(i) + u32(t) * params.stride];
}
