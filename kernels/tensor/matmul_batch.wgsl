// Where the matrices of batch `batch` start in A and B, for the matmul kernels (included by
// `// #include tensor/matmul_batch.wgsl` after `const NB`): the batch index unravelled over the NB
// batch dims (sizes from parameter word 14, then A's strides, then B's), added to the base offsets
// in words 6 (A) and 9 (B).
fn batch_bases(batch: u32) -> vec2<u32> {
  var a_base = m(6u);
  var b_base = m(9u);
  var rest = batch;
  for (var d = i32(NB) - 1; d >= 0; d = d - 1) {
    let size = m(14u + u32(d));
    let c = rest % size;
    rest = rest / size;
    a_base = a_base + c * m(14u + NB + u32(d));
    b_base = b_base + c * m(14u + 2u * NB + u32(d));
  }
  return vec2<u32>(a_base, b_base);
}
