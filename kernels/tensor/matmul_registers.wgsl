// Batched matmul C[b] = A[b] · B[b] on strided operands, without workgroup memory or barriers: each
// invocation computes a TM×TN block of C in registers (TN/4 vec4 accumulators per row) and reads its
// rows of A and columns of B itself, four k at a time in a body unrolled by the host. Operands whose
// rows (or columns) are contiguous and 16-byte aligned are bound as vec4 arrays and read four
// elements per load. Invocations past M or N read the last row or column (loads stay in bounds,
// no branch in the k loop) and store nothing. Used for skinny products (GEMV, M ≤ 8) on every
// adapter, and for all sizes where workgroup barriers are dear (software adapters such as llvmpipe).
// One dispatch sums k in [k_begin, k_end): the host splits a long K into several dispatches, each
// within the adapter's loop budget (see @tessera/gpu's loopBudget), the later ones adding to C.
// The k loop is the only loop that grows with the data: one iteration per four k, then at most
// three single-k iterations for the rest.
// Filled by @tessera/tensor (src/webgpu/matmul-registers.ts):
//   A_TYPE, B_TYPE   f32 or vec4<f32> (how A and B are bound)
//   PARAMS           uniform parameter block (fields below); WG workgroup size; BATCH_RANK
//   SETUP            per-invocation row and column offsets, the zeroed accumulators
//   STEP             the body for k .. k + 3; TAIL the body for one k; STORE writes the block
//   OUTPUTS          the read-write bindings from 2 on: C, or for a fused epilogue, C (when
//                    kept), the epilogue's other inputs and its outputs
//   PUT              fn put: stores one element of C, or applies the epilogue to it (its inputs'
//                    addressing and the math library come in EPILOGUE)
// Parameters (params.*, declared in src/webgpu/matmul.ts): M, N, k_begin and k_end (the k this
//   dispatch sums), tiles_m and tiles_n (tiles along M and N), batches, a_offset, a_m and a_k
//   (A's row and k strides), b_offset, b_k and b_n (B's k and column strides), accumulate (1: C +=
//   the partial sum; 0: C = it), batch_shape, a_batch and b_batch (batch sizes and strides).
//   Offsets and strides count elements, also for vec4 bindings.
@group(0) @binding(0) var<storage, read> A: array<{{A_TYPE}}>;
@group(0) @binding(1) var<storage, read> B: array<{{B_TYPE}}>;
{{OUTPUTS}}
{{PARAMS}}

const NB = {{BATCH_RANK}}u;
// #include tensor/matmul_batch.wgsl

fn a_at(e: u32) -> f32 { return {{A_AT}}; }
fn b_at(e: u32) -> f32 { return {{B_AT}}; }

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let M = params.M;
  let N = params.N;
  let k_end = params.k_end;
  let tiles_m = params.tiles_m;
  let tiles_n = params.tiles_n;
  let t = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  let batch = t / (tiles_m * tiles_n);
  if (batch >= params.batches) { return; }
  let tile_n = t % tiles_n;
  let tile_m = (t / tiles_n) % tiles_m;

  let bases = batch_bases(batch);
  let a_base = bases.x;
  let b_base = bases.y;
  let sa_m = params.a_m;
  let sa_k = params.a_k;
  let sb_k = params.b_k;
  let sb_n = params.b_n;
  let row0 = tile_m * {{TM}}u;
  let col0 = tile_n * {{TN}}u;
  {{SETUP}}

  let k_begin = params.k_begin;
  let k4_end = k_begin + (k_end - k_begin) / 4u * 4u;
  for (var k = k_begin; k < k4_end; k = k + 4u) {
    {{STEP}}
  }
  for (var k = k4_end; k < k_end; k = k + 1u) {
    {{TAIL}}
  }

  let c_base = batch * M * N;
  let accumulate = params.accumulate != 0u;
  {{STORE}}
}

{{PUT}}
{{EPILOGUE}}
