// Stable argsort, step 2: one merge pass over runs of W sorted (key, position) pairs (sort.wgsl
// made runs of CAP; each pass doubles them). Every pair is distinct, so an element's place in the
// merged run is its place in its own run plus the count of the partner run's pairs before it,
// found by binary search: one invocation per element, no ties to break, O(log W) reads each.
// A run without a partner (the row's last, odd one) stays where it is.
// Filled by @tessera/tensor (src/webgpu/indexing.ts):
//   OUT     element type of out: vec2<u32> (pairs for the next pass) or i32 (indices, last pass)
//   STORE   statement storing pair `v` as element d (row-major over [rows, len]) of the result
//   PARAMS  parameter block (binding 2): params.n elements, params.len, params.w (W), the view's fields
//   INDEX   idx_o(e): offset of element e in the output tensor
//   WG      threads per workgroup
@group(0) @binding(0) var<storage, read> src: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT}}>;
{{PARAMS}}
{{INDEX}}

fn before(a: vec2<u32>, b: vec2<u32>) -> bool { return a.x < b.x || (a.x == b.x && a.y < b.y); }

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  if (e >= params.n) { return; }
  let len = params.len;
  let w = params.w;
  let row = e / len;
  let q = e - row * len;
  let r = q / w;
  let p = q - r * w;
  let other = (r ^ 1u) * w;
  let v = src[e];
  var dst = q;
  if (other < len) {
    let base = row * len + other;
    var lo = 0u;
    var hi = min(w, len - other);
    while (lo < hi) {
      let mid = (lo + hi) / 2u;
      if (before(src[base + mid], v)) { lo = mid + 1u; } else { hi = mid; }
    }
    dst = (r & ~1u) * w + p + lo;
  }
  let d = row * len + dst;
  {{STORE}}
}
