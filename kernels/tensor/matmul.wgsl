// Batched matmul C[b] = A[b] · B[b] on strided operands (transposes are strides, not copies).
// Each workgroup computes a BM×BN tile of C, stepping over K in slices of BK staged in workgroup
// memory; each thread accumulates a TM×TN block in registers. Loads are bounds-checked, so M, N,
// K need not be multiples of the tile. Workgroups are linearised over (batch, tile row, tile col).
// One dispatch sums k in [k_begin, k_end): the host splits a long K into several dispatches, each
// within the adapter's loop budget (see @tessera/gpu's loopBudget), the later ones adding to C.
// Filled by @tessera/tensor (src/webgpu/matmul.ts): TM TN WGX WGY BK, PARAMS, BATCH_RANK.
// Parameters (params.*, declared in src/webgpu/matmul.ts): M, N, k_begin and k_end (the k this
//   dispatch sums), tiles_m and tiles_n (tiles along M and N), batches, a_offset, a_m and a_k
//   (A's row and k strides), b_offset, b_k and b_n (B's k and column strides), accumulate (1: C +=
//   the partial sum; 0: C = it), batch_shape, a_batch and b_batch (batch sizes and strides).
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
{{PARAMS}}

const TM = {{TM}}u;
const TN = {{TN}}u;
const WGX = {{WGX}}u;
const WGY = {{WGY}}u;
const BK = {{BK}}u;
const BM = TM * WGY;
const BN = TN * WGX;
const NT = WGX * WGY;
const NB = {{BATCH_RANK}}u;
// #include tensor/matmul_batch.wgsl

var<workgroup> As: array<f32, {{BK}} * {{TM}} * {{WGY}}>; // [k][m]
var<workgroup> Bs: array<f32, {{BK}} * {{TN}} * {{WGX}}>; // [k][n]

@compute @workgroup_size({{WGX}} * {{WGY}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let M = params.M;
  let N = params.N;
  let K = params.k_end;
  let tiles_m = params.tiles_m;
  let tiles_n = params.tiles_n;
  let wgid = wid.x + wid.y * nwg.x;
  let batch = wgid / (tiles_m * tiles_n);
  if (batch >= params.batches) { return; }
  let tile_n = wgid % tiles_n;
  let tile_m = (wgid / tiles_n) % tiles_m;

  let bases = batch_bases(batch);
  let a_base = bases.x;
  let b_base = bases.y;
  let sa_m = params.a_m;
  let sa_k = params.a_k;
  let sb_k = params.b_k;
  let sb_n = params.b_n;

  let row0 = tile_m * BM;
  let col0 = tile_n * BN;
  let tx = lid % WGX;
  let ty = lid / WGX;
  var acc: array<f32, {{TM}} * {{TN}}>;
  for (var i = 0u; i < TM * TN; i = i + 1u) { acc[i] = 0.0; }

  for (var k0 = params.k_begin; k0 < K; k0 = k0 + BK) {
    for (var l = lid; l < BM * BK; l = l + NT) {
      let r = l / BK;
      let c = l % BK;
      var v = 0.0;
      if (row0 + r < M && k0 + c < K) { v = A[a_base + (row0 + r) * sa_m + (k0 + c) * sa_k]; }
      As[c * BM + r] = v;
    }
    for (var l = lid; l < BN * BK; l = l + NT) {
      let r = l / BN;
      let c = l % BN;
      var v = 0.0;
      if (k0 + r < K && col0 + c < N) { v = B[b_base + (k0 + r) * sb_k + (col0 + c) * sb_n]; }
      Bs[r * BN + c] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk = kk + 1u) {
      var a: array<f32, {{TM}}>;
      var b: array<f32, {{TN}}>;
      for (var i = 0u; i < TM; i = i + 1u) { a[i] = As[kk * BM + ty * TM + i]; }
      for (var j = 0u; j < TN; j = j + 1u) { b[j] = Bs[kk * BN + tx * TN + j]; }
      for (var i = 0u; i < TM; i = i + 1u) {
        for (var j = 0u; j < TN; j = j + 1u) { acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]); }
      }
    }
    workgroupBarrier();
  }

  let c_base = batch * M * N;
  let accumulate = params.accumulate != 0u;
  for (var i = 0u; i < TM; i = i + 1u) {
    let r = row0 + ty * TM + i;
    if (r >= M) { break; }
    for (var j = 0u; j < TN; j = j + 1u) {
      let c = col0 + tx * TN + j;
      if (c < N) {
        let o = c_base + r * N + c;
        if (accumulate) { C[o] = C[o] + acc[i * TN + j]; } else { C[o] = acc[i * TN + j]; }
      }
    }
  }
}
