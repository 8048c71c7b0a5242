// BLT's hash n-gram ids (bytelatent byte_group_hash_function): for each (hash function f, group
// size n) and byte position t, h = Σ_i w_i · prime_f^i over the window w of n ids ending at t (left-
// padded with zeros, w_0 oldest), in wrapping int64, then Python's non-negative h mod V.
// WGSL has no 64-bit integers: values are (lo, hi) u32 pairs, products built from 16-bit halves.
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
{{PARAMS}}
// params (patching/src/hash.ts): rows, len (row length S), ids_offset, vocab (V), wrap (2^64 mod V),
// combos (of f and n), group (each combo's n), powers (per combo, 8 (lo, hi) pairs of prime^i mod 2^64).
const POWER_WORDS = 16u;

// #include common/wide.wgsl

// (x · y) mod 2^64 for x < 2^31 (an id) and y a 64-bit pair.
fn mul64_small(x: u32, y: vec2<u32>) -> vec2<u32> {
  let p = mul_wide(x, y.x);
  return vec2<u32>(p.x, p.y + x * y.y);
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

// The unsigned 64-bit value mod V (V < 2^24), a byte at a time from the top.
fn mod64(u: vec2<u32>, v: u32) -> u32 {
  var r = 0u;
  for (var k = 0u; k < 8u; k++) {
    let word = select(u.x, u.y, k < 4u);
    let byte = (word >> (24u - 8u * (k % 4u))) & 0xffu;
    r = (r * 256u + byte) % v;
  }
  return r;
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  let S = params.len;
  let per_combo = params.rows * S;
  if (i >= per_combo * params.combos) { return; }
  let combo = i / per_combo;
  let pos = i % per_combo;
  let row = pos / S;
  let t = pos % S;
  let base = combo * POWER_WORDS;
  let n = params_group(combo);
  var h = vec2<u32>(0u, 0u);
  for (var j = 0u; j < n; j++) {
    // Window element j sits at t - (n - 1) + j; before the row start it is the zero padding.
    if (t + j + 1u >= n) {
      let id = u32(ids[params.ids_offset + row * S + t + j + 1u - n]);
      h = add64(h, mul64_small(id, vec2<u32>(params_powers(base + 2u * j), params_powers(base + 2u * j + 1u))));
    }
  }
  let v = params.vocab;
  var r = mod64(h, v);
  // A negative int64 is u − 2^64: subtract 2^64 mod V, keeping Python's non-negative remainder.
  if ((h.y & 0x80000000u) != 0u) { r = (r + v - params.wrap) % v; }
  out[i] = i32(r);
}
