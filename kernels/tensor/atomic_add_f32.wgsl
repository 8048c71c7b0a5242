// Included by scatter kernels whose `out` is array<atomic<u32>> holding f32 bits.
// WGSL has no atomic float add: retry a compare-exchange on the bits until no other invocation
// changed the word in between.
fn atomic_add_f32(i: u32, v: f32) {
  var old = atomicLoad(&out[i]);
  loop {
    let r = atomicCompareExchangeWeak(&out[i], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (r.exchanged) { break; }
    old = r.old_value;
  }
}
