// Fault reporting for index kernels (gather, scatter-add, one-hot), included after their
// bindings. `fault` is the backend's fault word block: an index kernel cannot throw, so it records
// the first bad index here and the host raises IndexError at the next read.

fn report(t: i32, size: u32) {
  if (atomicMax(&fault[0], 1u) == 0u) {
    atomicStore(&fault[1], bitcast<u32>(t));
    atomicStore(&fault[2], size);
  }
}
