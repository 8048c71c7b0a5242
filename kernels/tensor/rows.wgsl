// Row kernels: one workgroup per segment of a row of `len` elements (the reduced axes of a strided
// view, moved last by addressing, not by copying). Threads stride over the segment [j0, j1), then
// combine through workgroup memory in a tree. Reductions, arg-reductions, softmax, norms and scans
// share this shape. A row is one segment unless it is longer than one invocation's loop budget
// allows (see @tessera/gpu's loopBudget): then a first dispatch writes one statistic per segment
// and a second combines them (src/webgpu/reduce.ts says which op does what).
// Statistics that need two numbers (softmax's max and sum, layer norm's moments) travel together
// as a vec2 through `wg_pair`, so a kernel makes one tree reduction.
// Filled by @tessera/tensor (src/webgpu/reduce.ts):
//   BINDINGS  input `in_a` (read), optional `stats` (read), and `out` (read_write); aliases T
//             (input) and ACC (accumulator)
//   PARAMS    parameter block: params.rows, params.len (row length), params.nseg (segments per
//             row), params.seg_len (segment length), then the op's fields and the addressing
//   INDEX     idx_a(i): element i (row-major over [rows..., row]) to the input's offset;
//             idx_o(i): the same element's offset in the output (row kernels that keep the shape)
//   MAX, MIN  max/min functions for ACC (NaN-propagating for floats); BETTER `>` or `<`;
//   NAN       is_nan for floats, `false` for integers (NaN ranks above every number in arg-reductions)
//   PAIR      body of pair_combine(a, b) for wg_pair
//   BODY      the op
{{BINDINGS}}
{{PARAMS}}
{{INDEX}}
{{MATH}}

const WG = {{WG}}u;
var<workgroup> red: array<ACC, {{WG}}>;
var<workgroup> red_i: array<u32, {{WG}}>;
var<workgroup> red2: array<vec2<f32>, {{WG}}>;
// The scan's own memory: on llvmpipe, a scan over `red` right after a tree reduction over it read
// stale values even with barriers between them.
var<workgroup> scan: array<ACC, {{WG}}>;

fn add_acc(a: ACC, b: ACC) -> ACC { return a + b; }
fn max_acc(a: ACC, b: ACC) -> ACC { return {{MAX}}(a, b); }
fn min_acc(a: ACC, b: ACC) -> ACC { return {{MIN}}(a, b); }
// PyTorch's arg-reductions treat NaN as the extremum (the first NaN wins) and NaNs as equal.
fn nan_acc(a: ACC) -> bool { return {{NAN}}; }
fn better(a: ACC, b: ACC) -> bool { return (nan_acc(a) && !nan_acc(b)) || a {{BETTER}} b; }
fn same(a: ACC, b: ACC) -> bool { return a == b || (nan_acc(a) && nan_acc(b)); }
fn pair_combine(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> { {{PAIR}} }

// Tree reductions: every thread of the workgroup calls them (they contain barriers).
fn wg_sum(v: ACC, lid: u32) -> ACC {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = workgroupUniformLoad(&red[0]);
  workgroupBarrier(); // every thread has read slot 0 before a later tree or scan reuses it
  return r;
}
fn wg_max(v: ACC, lid: u32) -> ACC {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = max_acc(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = workgroupUniformLoad(&red[0]);
  workgroupBarrier(); // every thread has read slot 0 before a later tree or scan reuses it
  return r;
}
fn wg_min(v: ACC, lid: u32) -> ACC {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = min_acc(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = workgroupUniformLoad(&red[0]);
  workgroupBarrier(); // every thread has read slot 0 before a later tree or scan reuses it
  return r;
}
fn wg_pair(v: vec2<f32>, lid: u32) -> vec2<f32> {
  red2[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red2[lid] = pair_combine(red2[lid], red2[lid + s]); }
    workgroupBarrier();
  }
  let r = workgroupUniformLoad(&red2[0]);
  workgroupBarrier(); // every thread has read slot 0 before a later tree or scan reuses it
  return r;
}
// (value, index) pairs; ties keep the lower index, as PyTorch does. Index 0xffffffff marks an empty slot.
fn wg_arg(v: ACC, i: u32, lid: u32) -> u32 {
  red[lid] = v;
  red_i[lid] = i;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      let a = red[lid];
      let b = red[lid + s];
      let ia = red_i[lid];
      let ib = red_i[lid + s];
      if (ib != 0xffffffffu && (ia == 0xffffffffu || better(b, a) || (same(b, a) && ib < ia))) {
        red[lid] = b;
        red_i[lid] = ib;
      }
    }
    workgroupBarrier();
  }
  let r = workgroupUniformLoad(&red_i[0]);
  workgroupBarrier(); // every thread has read slot 0 before a later tree or scan reuses it
  return r;
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let wg_index = wid.x + wid.y * nwg.x;
  let nseg = params.nseg;
  let row = wg_index / nseg;
  if (row >= params.rows) { return; }
  let seg = wg_index % nseg;
  let len = params.len;
  let base = row * len;
  let j0 = seg * params.seg_len;
  let j1 = min(len, j0 + params.seg_len);
  {{BODY}}
}
