// Where the matrices of batch `batch` start in A and B, for the matmul kernels (included by
// `// #include tensor/matmul_batch.wgsl` after `const NB`): the batch index unravelled over the NB
// batch dims (sizes `params.batch_shape`, strides `params.a_batch` and `params.b_batch`), added to
// the base offsets `params.a_offset` and `params.b_offset`.
fn batch_bases(batch: u32) -> vec2<u32> {
  var a_base = params.a_offset;
  var b_base = params.b_offset;
  var rest = batch;
  for (var d = i32(NB) - 1; d >= 0; d = d - 1) {
    let size = params_batch_shape(u32(d));
    let c = rest % size;
    rest = rest / size;
    a_base = a_base + c * params_a_batch(u32(d));
    b_base = b_base + c * params_b_batch(u32(d));
  }
  return vec2<u32>(a_base, b_base);
}
