// Scalar functions shared by tensor kernels; each mirrors src/scalar.ts of @tessera/tensor.

// erf within ~1.2 ulp: on |x| < 1, x + x·P(x²) (a degree-6 fit of erf(x)/x − 1); above,
// 1 − exp(−Q(|x|)) (N. Juffa's erff). Relative accuracy holds down to the smallest x, where
// the Abramowitz–Stegun formula had an absolute error of 1e-7.
fn erf_f(x: f32) -> f32 {
  let t = abs(x);
  if (t < 1.0) {
    let s = x * x;
    var r = 7.667744648642838e-5;
    r = fma(r, s, -7.952292799018323e-4);
    r = fma(r, s, 5.181481596082449e-3);
    r = fma(r, s, -2.684999816119671e-2);
    r = fma(r, s, 1.128348559141159e-1);
    r = fma(r, s, -3.7612614035606384e-1);
    r = fma(r, s, 1.2837916612625122e-1);
    return fma(r, x, x);
  }
  let s = t * t;
  var r = fma(1.72948930e-5, t, -3.83208680e-4);
  let u = fma(3.88393435e-3, t, -2.42545605e-2);
  r = fma(r, s, u);
  r = fma(r, t, 1.06777847e-1);
  r = fma(r, t, 6.34846687e-1);
  r = fma(r, t, 1.28717512e-1);
  r = fma(r, t, t);
  let y = 1.0 - exp(-r);
  return select(y, -y, x < 0.0);
}

fn gelu_f(x: f32) -> f32 { return 0.5 * x * (1.0 + erf_f(x * 0.70710678118654752)); }

fn sigmoid_f(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }

// WGSL's tanh has no accuracy bound of its own (llvmpipe: tanh(1e-7) = 1.19e-7) and may overflow
// through exp: a series below 0.3, 1 − 2/(e^{2|x|} + 1) above (exact 1 once e^{2|x|} overflows).
fn tanh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a < 0.3) {
    let s = x * x;
    return x + x * s * (-0.33333333 + s * (0.13333333 + s * (-0.053968254 + s * 0.021869488)));
  }
  let y = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
  return select(y, -y, x < 0.0);
}

// log and log2 of subnormals: adapters that keep them may still compute their logarithm from the
// exponent field alone (llvmpipe: log(1e-40) = -88.0, not -92.1); scale them into normal range.
fn log2_f(x: f32) -> f32 {
  if (x > 0.0 && x < 1.1754943508222875e-38) { return log2(x * 16777216.0) - 24.0; }
  return log2(x);
}
fn log_f(x: f32) -> f32 {
  if (x > 0.0 && x < 1.1754943508222875e-38) { return log(x * 16777216.0) - 16.635532333438686; }
  return log(x);
}

// log(1 + x) and exp(x) − 1 near 0 by their series (to x⁷: under 1e-8 relative for |x| < 0.1), and
// from log and exp elsewhere, where rounding 1 + x or the result costs under 1e-6 relative. The
// usual cancelling tricks ((u − 1) against log u) do not survive compilers that reassociate floats.
fn log1p_f(x: f32) -> f32 {
  if (abs(x) < 0.1) {
    return x * (1.0 - x * (0.5 - x * (0.33333333 - x * (0.25 - x * (0.2 - x * (0.16666667 - x * 0.14285714))))));
  }
  return log_f(1.0 + x);
}
fn expm1_f(x: f32) -> f32 {
  if (abs(x) < 0.1) {
    return x * (1.0 + x * (0.5 + x * (0.16666667 + x * (0.041666668 + x * (0.008333334 + x * (0.0013888889 + x * 0.0001984127))))));
  }
  return exp(x) - 1.0;
}
// arctan as Cephes' atanf (about 1 ulp): WGSL's builtin may be coarse (and 0 at NaN) on some adapters.
fn atan_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  var y = 0.0;
  var t = a;
  if (a > 2.414213562373095) { y = 1.5707963267948966; t = -1.0 / a; }
  else if (a > 0.4142135623730950) { y = 0.7853981633974483; t = (a - 1.0) / (a + 1.0); }
  let z = t * t;
  let r = y + ((((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * t + t);
  return select(r, -r, x < 0.0);
}
// asin and acos through atan_f (WGSL's builtins may be coarse), with the square roots of
// (1 − x)(1 + x) that keep their accuracy near ±1; NaN outside [−1, 1], as in C.
fn asin_f(x: f32) -> f32 {
  if (!(abs(x) <= 1.0)) { return nan_f(); }
  return atan_f(x / sqrt((1.0 - x) * (1.0 + x)));
}
fn acos_f(x: f32) -> f32 {
  if (!(abs(x) <= 1.0)) { return nan_f(); }
  return 2.0 * atan_f(sqrt((1.0 - x) / (1.0 + x)));
}

// C's pow (what PyTorch computes): WGSL's pow is exp2(b·log2(a)), undefined for a <= 0.
// Zero, infinite and negative bases and infinite exponents follow C99 Annex F.
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0 || a == 1.0) { return 1.0; }
  if (is_nan(a) || is_nan(b)) { return nan_f(); }
  // An odd integer exponent keeps the base's sign; floats of magnitude >= 2^24 are all even.
  let odd = abs(b) < 16777216.0 && floor(b) == b && (i32(b) & 1) != 0;
  let negative = (bitcast<u32>(a) & 0x80000000u) != 0u;
  let x = abs(a);
  var r: f32;
  if (x == 0.0) {
    r = select(0.0, pos_inf(), b < 0.0);
  } else if (is_inf(x)) {
    r = select(pos_inf(), 0.0, b < 0.0);
  } else if (is_inf(b)) {
    // |a| = 1 gives 1 (a = 1 above; -1 here); otherwise 0 or inf by whether |a| < 1 and b's sign.
    if (x == 1.0) { return 1.0; }
    r = select(pos_inf(), 0.0, (x < 1.0) == (b > 0.0));
  } else {
    if (negative && floor(b) != b) { return nan_f(); }
    r = exp2(b * log2_f(x));
  }
  return select(r, -r, negative && odd);
}

// sin and cos for every f32 argument: reduced to r in [-pi/4, pi/4] and a quadrant, then minimax
// polynomials (Cephes sinf/cosf). WGSL only bounds sin/cos error on [-pi, pi], and adapters return
// garbage far outside it (llvmpipe: sin(1e30) = -1), where PyTorch reduces exactly.

// 2/pi in binary, 32 bits a word, after one zero word (so a window may start before the point).
const TWO_OVER_PI = array<u32, 8>(0u, 0xA2F9836Eu, 0x4E441529u, 0xFC2757D1u, 0xF534DDC0u,
                                  0xDB629599u, 0x3C439041u, 0xFE5163ABu);

// #include common/wide.wgsl

// The u32 word of TWO_OVER_PI's bit stream starting at bit `t` (bit 0 is the zero word's first).
fn two_over_pi_word(t: u32) -> u32 {
  let w = t / 32u;
  let s = t % 32u;
  if (s == 0u) { return TWO_OVER_PI[w]; }
  return (TWO_OVER_PI[w] << s) | (TWO_OVER_PI[w + 1u] >> (32u - s));
}

// |x| = q·pi/2 + r for |x| >= pi/4 (Payne–Hanek): the 24-bit mantissa times the 96 bits of 2/pi
// that reach the two integer bits kept (the earlier bits only add multiples of 4) gives the
// quadrant and 62 bits of the fraction. Returns (r, q mod 4 as f32).
fn reduce_half_pi(ax: f32) -> vec2<f32> {
  let bits = bitcast<u32>(ax);
  let e = i32(bits >> 23u) - 127;
  let mant = (bits & 0x7fffffu) | 0x800000u;
  // ax·2/pi = mant·G·2^-94 for the window G of 2/pi starting at bit e - 24 after the point.
  let t = u32(e - 25 + 32);
  let r0 = mul_wide(mant, two_over_pi_word(t + 64u));
  let r1 = mul_wide(mant, two_over_pi_word(t + 32u));
  let r2 = mul_wide(mant, two_over_pi_word(t));
  let w0 = r0.x;
  let w1 = r1.x + r0.y;
  let c1 = select(0u, 1u, w1 < r0.y);
  let w2 = r2.x + r1.y + c1;
  var q = w2 >> 30u;
  var hi = (w2 << 2u) | (w1 >> 30u);
  var lo = (w1 << 2u) | (w0 >> 30u);
  // A fraction of half a quadrant or more rounds up: r = (f - 1)·pi/2, negative.
  let neg = (hi & 0x80000000u) != 0u;
  if (neg) {
    q = q + 1u;
    hi = ~hi;
    lo = ~lo + 1u;
    if (lo == 0u) { hi = hi + 1u; }
  }
  // The fraction hi:lo · 2^-64 as an f32 with 24 significant bits, however small it is.
  var z = countLeadingZeros(hi);
  var top = hi;
  if (hi == 0u) {
    z = 32u + countLeadingZeros(lo);
    top = select(0u, lo << (z - 32u), lo != 0u);
  } else if (z > 0u) {
    top = (hi << z) | (lo >> (32u - z));
  }
  let mantissa = f32(top >> 8u) * exp2(-24.0 - f32(z));
  var r = mantissa * 1.5707963267948966;
  if (neg) { r = -r; }
  return vec2<f32>(r, f32(q & 3u));
}

fn sin_poly(x: f32) -> f32 {
  let z = x * x;
  return ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * x + x;
}
fn cos_poly(x: f32) -> f32 {
  let z = x * x;
  return ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
}

// sin or cos of x: `shift` 0 for sin, 1 for cos (cos x = sin(x + pi/2): one quadrant later).
fn trig_f(x: f32, shift: u32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return nan_f(); }
  let ax = abs(x);
  var r = ax;
  var q = 0u;
  if (ax > 0.7853981633974483) {
    let rq = reduce_half_pi(ax);
    r = rq.x;
    q = u32(rq.y);
  }
  q = (q + shift) & 3u;
  var v = select(sin_poly(r), cos_poly(r), (q & 1u) == 1u);
  v = select(v, -v, q >= 2u);
  // sin is odd (sin(-0) = -0 too), cos even.
  let negative = (bitcast<u32>(x) & 0x80000000u) != 0u;
  return select(v, -v, negative && shift == 0u);
}
fn sin_f(x: f32) -> f32 { return trig_f(x, 0u); }
// tan from the exactly reduced sin and cos: within a few ulp away from the poles.
fn tan_f(x: f32) -> f32 { return trig_f(x, 0u) / trig_f(x, 1u); }
fn cos_f(x: f32) -> f32 { return trig_f(x, 1u); }

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

// C's fmod, exact (the remainder of two floats is itself a float), with no loop (so it costs a
// kernel's loop budget nothing): |a| = ma·2^ea and |b| = mb·2^eb with 24-bit integer mantissas give
// |a| mod |b| = ((ma mod mb)·(2^(ea − eb) mod mb) mod mb)·2^eb. WGSL's own % is a − b·trunc(a / b),
// which loses the low bits of large quotients. NaN for a = ±inf, b = 0 or a NaN; a for |a| < |b|.
// (x·y) mod m for x, y < m < 2^24, eight bits of y at a time so that no product passes 32 bits.
fn mul_mod(x: u32, y: u32, m: u32) -> u32 {
  var r = (x * (y >> 16u)) % m;
  r = ((r << 8u) % m + (x * ((y >> 8u) & 255u)) % m) % m;
  return ((r << 8u) % m + (x * (y & 255u)) % m) % m;
}
// One square-and-multiply step of 2^d mod m: (result, power of two) for bit `bit` of d.
fn pow2_step(acc: vec2<u32>, d: u32, bit: u32, m: u32) -> vec2<u32> {
  let r = select(acc.x, mul_mod(acc.x, acc.y, m), ((d >> bit) & 1u) == 1u);
  return vec2<u32>(r, mul_mod(acc.y, acc.y, m));
}
// 2^d mod m for d < 256 (exponents of f32 differ by at most 253), unrolled.
fn pow2_mod(d: u32, m: u32) -> u32 {
  var acc = vec2<u32>(1u % m, 2u % m);
  acc = pow2_step(acc, d, 0u, m);
  acc = pow2_step(acc, d, 1u, m);
  acc = pow2_step(acc, d, 2u, m);
  acc = pow2_step(acc, d, 3u, m);
  acc = pow2_step(acc, d, 4u, m);
  acc = pow2_step(acc, d, 5u, m);
  acc = pow2_step(acc, d, 6u, m);
  acc = pow2_step(acc, d, 7u, m);
  return acc.x;
}
fn fmod_f(a: f32, b: f32) -> f32 {
  let ua = bitcast<u32>(a) & 0x7fffffffu;
  let ub = bitcast<u32>(b) & 0x7fffffffu;
  if (ua >= 0x7f800000u || ub > 0x7f800000u || ub == 0u) { return nan_f(); }
  if (ua < ub) { return a; } // the bits of non-negative floats order as the floats do; b = ±inf too
  let sign = bitcast<u32>(a) & 0x80000000u;
  // Biased exponents; a subnormal is exponent 1 without the implicit bit.
  let ea = max(ua >> 23u, 1u);
  let eb = max(ub >> 23u, 1u);
  let ma = select(ua & 0x7fffffu, (ua & 0x7fffffu) | 0x800000u, ua >= 0x800000u);
  let mb = select(ub & 0x7fffffu, (ub & 0x7fffffu) | 0x800000u, ub >= 0x800000u);
  let r = mul_mod(ma % mb, pow2_mod(ea - eb, mb), mb);
  if (r == 0u) { return bitcast<f32>(sign); }
  // r·2^(eb − 150) as bits: normalised when its exponent stays >= 1, else subnormal.
  let s = countLeadingZeros(r) - 8u;
  let mag = select(r << (eb - 1u), ((eb - s) << 23u) | ((r << s) & 0x7fffffu), eb > s);
  return bitcast<f32>(mag | sign);
}
// x rounded to the nearest IEEE half value, ties to even, kept in an f32 (f16 tensors hold their
// values so). In integer bits, so neither the adapter's rounding nor a flush of subnormals enters.
fn f16_round(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  let sign = b & 0x80000000u;
  let a = b & 0x7fffffffu;
  if (a >= 0x7f800000u) { return x; } // NaN, ±inf
  if (a >= 0x477ff000u) { return bitcast<f32>(sign | 0x7f800000u); } // from 65520 up: ±inf
  if (a >= 0x38800000u) {
    // A normal half keeps 10 of the 23 fraction bits: drop 13, ties to even.
    let lsb = (a >> 13u) & 1u;
    return bitcast<f32>(sign | ((a + 0xfffu + lsb) & 0xffffe000u));
  }
  // Below 2^-14: q units of 2^-24, x = m·2^(e − 150), so q = m >> (126 − e), ties to even.
  let e = a >> 23u;
  if (e < 102u) { return bitcast<f32>(sign); }
  let s = 126u - e;
  let m = (a & 0x7fffffu) | 0x800000u;
  var q = m >> s;
  let rem = m & ((1u << s) - 1u);
  let half = 1u << (s - 1u);
  if (rem > half || (rem == half && (q & 1u) == 1u)) { q = q + 1u; }
  return bitcast<f32>(sign | bitcast<u32>(f32(q) * 5.9604644775390625e-8));
}
