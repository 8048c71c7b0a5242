// Scalar functions shared by tensor kernels; each mirrors src/scalar.ts of @tessera/tensor.

// Abramowitz & Stegun 7.1.26, |error| < 1.5e-7.
fn erf_f(x: f32) -> f32 {
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
  return select(y, -y, x < 0.0);
}

fn gelu_f(x: f32) -> f32 { return 0.5 * x * (1.0 + erf_f(x * 0.70710678118654752)); }

fn sigmoid_f(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }

// tanh through exp overflows for |x| > ~44 on some drivers; tanh(15) is 1 in f32 already.
fn tanh_f(x: f32) -> f32 { return tanh(clamp(x, -15.0, 15.0)); }

// WGSL pow is undefined for negative bases; PyTorch defines it for integral exponents.
fn pow_f(a: f32, b: f32) -> f32 {
  if (a >= 0.0) { return pow(a, b); }
  var nan_bits = 0x7fc00000u; // a var: WGSL rejects a constant NaN
  if (floor(b) != b) { return bitcast<f32>(nan_bits); }
  let r = pow(-a, b);
  return select(r, -r, (i32(b) & 1) == 1);
}

// NaN tested on the bits: WGSL lets compilers assume floats are never NaN, so `x != x` may fold.
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn nan_f() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); } // a var: WGSL rejects a constant NaN

// Floats propagate NaN through max/min as PyTorch does (WGSL's max/min may return either operand).
fn max_f(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return nan_f(); }
  return select(b, a, a > b);
}
fn min_f(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return nan_f(); }
  return select(b, a, a < b);
}

// PCG hash (Jarzynski & Olano 2020).
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn random_word(seed: u32, i: u32) -> u32 { return pcg(pcg(seed) ^ i); }
fn uniform_f(seed: u32, i: u32) -> f32 { return f32(random_word(seed, i) >> 8u) / 16777216.0; }
fn normal_f(seed: u32, i: u32) -> f32 {
  let u1 = f32((random_word(seed, 2u * i) >> 8u) + 1u) / 16777216.0;
  let u2 = uniform_f(seed, 2u * i + 1u);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

// Infinities through a var: WGSL rejects constant expressions that evaluate to ±inf.
fn neg_inf() -> f32 { var bits = 0xff800000u; return bitcast<f32>(bits); }
fn pos_inf() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
