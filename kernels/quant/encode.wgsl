// Blockwise 4-bit encoding as bitsandbytes' reference quantizer, one output word per invocation.
// For x in a full block, s = f32(x * r) with r = f32(1 / max(absmax, 1e-38)) from the host; in the
// shorter last block, s = f32(x / absmax). The code is codes[#{bounds < s}]. Both roundings are done in
// integer arithmetic on the bit patterns (round to nearest even, subnormals included) and s is compared
// with the bounds as order keys, so the bytes are those of the CPU reference on every adapter: no
// 2.5-ulp division, no flushed subnormals. An odd length's pad nibble gets the code of 0.
// Packing as in packing.wgsl.
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> absmax: array<u32>;
@group(0) @binding(2) var<storage, read> recip: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
{{PARAMS}}
// params (quant/src/device/ops.ts): n, block (block size), x_offset, absmax_offset, recip_offset,
// words, short_from (first element of a shorter last block; n if none), zero_code (code of 0),
// bounds (NB order keys), codes (NB + 1).
const NB = {{NB}}u;
{{PACKING}}

// A positive finite f32 as m · 2^e with m of exactly 24 bits (subnormals normalized).
struct Unpacked { m: u32, e: i32 }

fn unpack(b: u32) -> Unpacked {
  let ex = i32(b >> 23u);
  let frac = b & 0x7fffffu;
  if (ex == 0) {
    let sh = 23u - firstLeadingBit(frac);
    return Unpacked(frac << sh, -149 - i32(sh));
  }
  return Unpacked(frac | 0x800000u, ex - 150);
}

// The bits of the f32 nearest to q · 2^e (+ a nonzero remainder below q's last bit when `sticky`), for
// q of 25 or 26 significant bits: ties to even, gradual underflow to subnormals and to zero.
fn round_f32(q: u32, e: i32, sticky: bool) -> u32 {
  let top = i32(firstLeadingBit(q));
  let drop = max(top - 23, -149 - e);
  if (drop > top + 1) { return 0u; }  // below half the smallest subnormal
  let d = u32(drop);
  var r = q >> d;
  let rem = q & ((1u << d) - 1u);
  let half = 1u << (d - 1u);
  if (rem > half || (rem == half && (sticky || (r & 1u) == 1u))) { r += 1u; }
  // r · 2^(e + drop): a normal r of 24 bits carries the exponent; a subnormal has e + drop = -149.
  return (u32(e + drop + 149) << 23u) + r;
}

// f32(x · r) for finite x and a positive finite r.
fn mul_rn(xb: u32, rb: u32) -> u32 {
  let sign = xb & 0x80000000u;
  if ((xb & 0x7fffffffu) == 0u) { return sign; }
  let a = unpack(xb & 0x7fffffffu);
  let b = unpack(rb);
  // The 48-bit product in 24-bit limbs, from 12-bit halves.
  let a1 = a.m >> 12u;
  let a0 = a.m & 0xfffu;
  let b1 = b.m >> 12u;
  let b0 = b.m & 0xfffu;
  let mid = a1 * b0 + a0 * b1;
  let low = a0 * b0 + ((mid & 0xfffu) << 12u);
  let hi = a1 * b1 + (mid >> 12u) + (low >> 24u);
  let lo = low & 0xffffffu;
  // The product lies in [2^46, 2^48): its top 26 bits, the rest as sticky.
  return sign | round_f32((hi << 2u) | (lo >> 22u), a.e + b.e + 22, (lo & 0x3fffffu) != 0u);
}

// f32(x / a) for finite x and a positive finite a.
fn div_rn(xb: u32, ab: u32) -> u32 {
  let sign = xb & 0x80000000u;
  if ((xb & 0x7fffffffu) == 0u) { return sign; }
  let n = unpack(xb & 0x7fffffffu);
  let d = unpack(ab);
  // 26 bits of n.m / d.m (a ratio in (1/2, 2)) by restoring division; the remainder is the sticky bit.
  var rem = n.m;
  var q = 0u;
  for (var i = 0u; i < 26u; i++) {
    q <<= 1u;
    if (rem >= d.m) { rem -= d.m; q |= 1u; }
    rem <<= 1u;
  }
  return sign | round_f32(q, n.e - d.e - 25, rem != 0u);
}

// Orders f32 bit patterns as their values (-0 as +0), for an integer comparison.
fn key(b: u32) -> u32 {
  if (b == 0x80000000u) { return b; }
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn bucket(s: u32) -> u32 {
  let k = key(s);
  var lo = 0u;
  var hi = NB;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (params_bounds(mid) < k) { lo = mid + 1u; } else { hi = mid; }
  }
  return params_codes(lo);
}

fn code_of(e: u32) -> u32 {
  if (e >= params.n) { return params.zero_code; }  // the pad element: a scaled 0
  let b = e / params.block;
  let v = x[params.x_offset + e];
  if (e >= params.short_from) { return bucket(div_rn(v, absmax[params.absmax_offset + b])); }
  return bucket(mul_rn(v, recip[params.recip_offset + b]));
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let w = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  if (w >= params.words) { return; }
  var word = 0u;
  for (var j = 0u; j < PER_WORD; j++) {
    let e = w * PER_WORD + j;
    // Codes up to the byte holding the last element (its pad nibble included); zeros past it.
    if (e < (params.n + 1u) / 2u * 2u) { word |= code_of(e) << shift_of(j); }
  }
  out[w] = word;
}
