// Stable argsort, step 1: bitonic sort of blocks of CAP elements in workgroup memory.
// Each element becomes a (key, position) pair. `sort_key` maps a value to a u32 whose unsigned
// order is the wanted one (descending complements it; every NaN is one key past +inf, as PyTorch
// sorts NaN last ascending and first descending; -0 and +0 share a key, so they tie). The position
// breaks ties, so all pairs differ and the bitonic network, not stable by itself, gives the stable
// order. Rows of len <= CAP are sorted whole and their indices written to `out`; longer rows are
// cut into blocks whose sorted pairs go to `out` (as vec2) for the merge passes of sort_merge.wgsl.
// Short rows share a workgroup (S / CAP blocks each), so threads do not idle on tiny rows.
// Padding pairs (0xffffffff, 0xffffffff) sort after every real one.
// Filled by @tessera/tensor (src/webgpu/indexing.ts):
//   T       element type of x; KEY  body of sort_key(v: T) -> u32
//   CAP     block length (a power of two); S  elements per workgroup (a multiple of CAP, >= 2 WG)
//   OUT     element type of out: i32 (indices) or vec2<u32> (pairs)
//   STORE   statement storing slot t as element e (row-major over [rows, len]) of the result
//   PARAMS  parameter block (binding 2): params.rows, params.len, params.blocks (per row), the views' fields
//   INDEX   idx_a(e): offset of element e in x; idx_o(e): offset in the output tensor
//   WG      threads per workgroup (a power of two)
alias T = {{T}};
@group(0) @binding(0) var<storage, read> x: array<T>;
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT}}>;
{{PARAMS}}
{{INDEX}}

const CAP = {{CAP}}u;
const S = {{S}}u;
const WG = {{WG}}u;
var<workgroup> keys: array<u32, {{S}}>;
var<workgroup> ids: array<u32, {{S}}>;

fn sort_key(v: T) -> u32 { {{KEY}} }

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let rows = params.rows;
  let len = params.len;
  let nb = params.blocks;
  let nseg = rows * nb;
  let seg0 = (wid.x + wid.y * nwg.x) * (S / CAP);
  // Coalesced loads: consecutive threads take consecutive positions of a block.
  for (var t = lid; t < S; t = t + WG) {
    let seg = seg0 + t / CAP;
    let pos = (seg % nb) * CAP + t % CAP;
    var key = 0xffffffffu;
    var id = 0xffffffffu;
    if (seg < nseg && pos < len) {
      key = sort_key(x[idx_a((seg / nb) * len + pos)]);
      id = pos;
    }
    keys[t] = key;
    ids[t] = id;
  }
  workgroupBarrier();
  for (var k = 2u; k <= CAP; k = k * 2u) {
    for (var j = k / 2u; j > 0u; j = j / 2u) {
      for (var p = lid; p < S / 2u; p = p + WG) {
        // The p-th compare pair: its lower slot a and a + j; blocks of k alternate direction
        // within a CAP block (slot bits below CAP), and the last merge (k = CAP) is ascending.
        let a = 2u * j * (p / j) + p % j;
        let b = a + j;
        let up = ((a & (CAP - 1u)) & k) == 0u;
        let ka = keys[a];
        let kb = keys[b];
        let ia = ids[a];
        let ib = ids[b];
        let a_after = ka > kb || (ka == kb && ia > ib);
        if (a_after == up) {
          keys[a] = kb;
          keys[b] = ka;
          ids[a] = ib;
          ids[b] = ia;
        }
      }
      workgroupBarrier();
    }
  }
  for (var t = lid; t < S; t = t + WG) {
    let seg = seg0 + t / CAP;
    let pos = (seg % nb) * CAP + t % CAP;
    if (seg < nseg && pos < len) {
      let e = (seg / nb) * len + pos;
      {{STORE}}
    }
  }
}
