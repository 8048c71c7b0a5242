// Where code j of a packed u32 word sits. Words are the packed byte array read little-endian;
// 4-bit: element 2j in the high nibble of byte j (bitsandbytes' order); 8-bit: one byte each.
// Filled into the PACKING slot of every quant kernel that reads or writes codes.
const BITS = {{BITS}}u;
const PER_WORD = 32u / BITS;

fn shift_of(j: u32) -> u32 {
  if (BITS == 4u) { return (j >> 1u) * 8u + select(0u, 4u, (j & 1u) == 0u); }
  return j * 8u;
}

fn code_at(word: u32, j: u32) -> u32 {
  return (word >> shift_of(j)) & ((1u << BITS) - 1u);
}
