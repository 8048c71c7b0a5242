// Scatter-add: one invocation per index element, out[base(i) + index[i] * stride] += src[i], for
// scatter_add and index_add (whose 1-D index is seen over src's shape, stride 0 off the axis).
// `out` already holds a contiguous copy of x. Repeated indices make invocations collide, so the add
// is atomic: atomicAdd for integers, a compare-exchange loop on the bits for f32 (atomic_add_f32.wgsl),
// whose order, and so the float rounding, varies from run to run. A bad index (outside [0, size),
// negative included) is reported to the fault block and its element skipped.
// Filled by @tessera/tensor (src/webgpu/indexing.ts):
//   T       element type of src; ATOMIC  the atomic's type (u32 holding f32 bits, or T)
//   ADD     statement adding `v` at `p`; ATOMIC_F32  atomic_add_f32.wgsl or nothing
//   PARAMS  parameter block (binding 4): params.n index elements, params.size and params.stride
//           (out's size and stride along the axis), then the views' fields
//   INDEX   idx_ix(i) and idx_sv(i): offsets of element i in index and src;
//           idx_db(i): offset in out of element i's position with the axis coordinate set to 0
//   FAULT   fault.wgsl; WG  threads per workgroup
alias T = {{T}};
@group(0) @binding(0) var<storage, read> src: array<T>;
@group(0) @binding(1) var<storage, read> ix: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<atomic<{{ATOMIC}}>>;
@group(0) @binding(3) var<storage, read_write> fault: array<atomic<u32>, 4>;
{{PARAMS}}
{{INDEX}}
{{FAULT}}
{{ATOMIC_F32}}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  if (i >= params.n) { return; }
  let t = ix[idx_ix(i)];
  let size = params.size;
  if (t < 0 || u32(t) >= size) {
    report(t, size);
    return;
  }
  let p = idx_db(i) + u32(t) * params.stride;
  let v = src[idx_sv(i)];
  {{ADD}}
}
