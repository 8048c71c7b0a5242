// Elementwise map: one invocation per output element, inputs read through strided views
// (broadcasting is a stride of 0), output written contiguously.
// Filled by @tessera/tensor (src/webgpu/elementwise.ts):
//   BINDINGS  storage bindings: inputs read-only, then `out`
//   PARAMS    uniform parameter block; word 0 is the element count
//   INDEX     idx_<input>(i) for each input view
//   BODY      reads the inputs at idx_<input>(i) and writes out[i]
{{BINDINGS}}
{{PARAMS}}
{{INDEX}}
{{MATH}}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  if (i >= m(0u)) { return; }
  {{BODY}}
}
