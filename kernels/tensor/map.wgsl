// Elementwise map: one invocation per output element, inputs read through strided views
// (broadcasting is a stride of 0), output written contiguously.
// Filled by @tessera/tensor (src/webgpu/map.ts, unslice.ts, and reduce.ts for short rows):
//   BINDINGS  storage bindings: inputs read-only, then `out`
//   PARAMS    uniform parameter block; `params.n` is the number of invocations (elements)
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
  if (i >= params.n) { return; }
  {{BODY}}
}
