// Tree ensemble by traversal, fused: one invocation per row walks every tree of [tree_begin,
// tree_end) from its root to a leaf and combines the leaves' values into the row's outputs (sum,
// min or max). Each node is one vec4<u32>: x = feature | op << 28 | missing << 30 (0xffffffff at a
// leaf), y = the threshold's f32 bits, z = the true child, w = the false child (node indices over
// all trees). op 0 tests x < τ, 1 x <= τ, 2 x == τ; a NaN feature goes to the true child where the
// missing bit is set. A walk takes at most `depth` steps. The host splits the trees over dispatches
// so that an invocation stays within the adapter's loop budget (see @tessera/gpu's loopBudget);
// every dispatch but the first combines with what the earlier ones wrote.
// Filled by @tessera/pipeline (src/compile/trees/traverse-op.ts): PARAMS, WG.
// Parameters (params.*): rows, features, x_offset, depth, outputs, tree_begin, tree_end,
//   combine (0 sum, 1 min, 2 max), first (1: the first dispatch, start from the identity).
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> nodes: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> roots: array<u32>;
@group(0) @binding(3) var<storage, read> values: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
{{PARAMS}}

const LEAF = 0xffffffffu;

fn is_nan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }

/** The leaf `row` reaches in the tree rooted at `root`. */
fn leaf(root: u32, base: u32) -> u32 {
  var v = root;
  for (var d = 0u; d < params.depth; d = d + 1u) {
    let node = nodes[v];
    if (node.x == LEAF) { break; }
    let xv = x[base + (node.x & 0x0fffffffu)];
    let op = (node.x >> 28u) & 3u;
    let tau = bitcast<f32>(node.y);
    var go: bool;
    // NaN tested on the bits: WGSL lets compilers assume floats are never NaN.
    if (is_nan(xv)) {
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
  return v;
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  if (row >= params.rows) { return; }
  let outputs = params.outputs;
  let agg = params.combine;
  let o0 = row * outputs;
  if (params.first != 0u) {
    var pos_inf = 0x7f800000u; // vars: WGSL rejects constant expressions that evaluate to ±inf
    var neg_inf = 0xff800000u;
    let identity = select(select(0.0, bitcast<f32>(pos_inf), agg == 1u), bitcast<f32>(neg_inf), agg == 2u);
    for (var o = 0u; o < outputs; o = o + 1u) { out[o0 + o] = identity; }
  }
  let base = params.x_offset + row * params.features;
  for (var t = params.tree_begin; t < params.tree_end; t = t + 1u) {
    let v = leaf(roots[t], base) * outputs;
    for (var o = 0u; o < outputs; o = o + 1u) {
      let a = out[o0 + o];
      let b = values[v + o];
      out[o0 + o] = select(select(a + b, min(a, b), agg == 1u), max(a, b), agg == 2u);
    }
  }
}
