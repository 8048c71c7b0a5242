// Tree traversal, fused: one invocation per (row, tree) walks from the tree's root to a leaf and
// writes the leaf's node index. Each node is one vec4<u32>: x = feature | op << 28 | missing << 30
// (0xffffffff at a leaf), y = the threshold's f32 bits, z = the true child, w = the false child
// (node indices over all trees). op 0 tests x < τ, 1 x <= τ, 2 x == τ; a NaN feature goes to the
// true child where the missing bit is set. At most `depth` steps (the deepest tree's), so an
// invocation loops no more than that: far within any adapter's loop budget.
// Filled by @tessera/pipeline (src/compile/trees/traverse-op.ts): PARAMS, WG.
// Parameter words: 0 rows, 1 trees, 2 features, 3 x offset, 4 depth.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> nodes: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> roots: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
{{PARAMS}}

const LEAF = 0xffffffffu;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  let trees = m(1u);
  if (i >= m(0u) * trees) { return; }
  let row = i / trees;
  var v = roots[i % trees];
  let base = m(3u) + row * m(2u);
  for (var d = 0u; d < m(4u); d = d + 1u) {
    let node = nodes[v];
    if (node.x == LEAF) { break; }
    let xv = x[base + (node.x & 0x0fffffffu)];
    let op = (node.x >> 28u) & 3u;
    let tau = bitcast<f32>(node.y);
    var go: bool;
    // NaN tested on the bits: WGSL lets compilers assume floats are never NaN.
    if ((bitcast<u32>(xv) & 0x7fffffffu) > 0x7f800000u) {
      go = (node.x >> 30u) != 0u;
    } else if (op == 0u) {
      go = xv < tau;
    } else if (op == 1u) {
      go = xv <= tau;
    } else {
      go = xv == tau;
    }
    v = select(node.w, node.z, go);
  }
  out[i] = v;
}
