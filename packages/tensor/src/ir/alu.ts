import type { DType } from '../dtype.js';

/**
 * How one ALU op computes, for every backend: its arity, the dtype it gives, and its source in
 * JavaScript and in WGSL. Operands arrive as source strings holding a value of the operand dtype
 * `d` (u8 and bool as a u32 in WGSL); results must be values of the result dtype (`wrap` them).
 * Adding an op is one entry here; the expression builders and every renderer take it from this table.
 */
export interface AluRule {
  readonly arity: 1 | 2 | 3;
  /** The result dtype, from the operands'. */
  result(d: readonly DType[]): DType;
  js(d: DType, a: string, b: string, c: string): string;
  wgsl(d: DType, a: string, b: string, c: string): string;
}

/** A JavaScript number as a value of `d`: f32 or half rounding, integer wrap-around, bool 0 or 1. */
export function jsWrap(d: DType, s: string): string {
  switch (d) {
    case 'f32':
      return `Math.fround(${s})`;
    case 'f16':
      return `lib.roundHalf(${s})`;
    case 'bool':
      return `((${s}) !== 0 ? 1 : 0)`;
    case 'i32':
      return `((${s}) | 0)`;
    case 'u32':
      return `((${s}) >>> 0)`;
    case 'u8':
      return `((${s}) & 255)`;
  }
}

/** WGSL: u8 and bool live in a u32, so results of arithmetic on them wrap explicitly. */
const wgslWrap = (d: DType, s: string) =>
  d === 'u8' ? `((${s}) & 255u)` : d === 'bool' ? `select(0u, 1u, (${s}) != 0u)` : s;

const same = (d: readonly DType[]) => d[0];
const flag = (): DType => 'bool';
// Kernels compute f16 in f32 (apply.ts casts f16 operands up and results back down); this keeps
// a stray f16 operand on the float path all the same.
const isF = (d: DType) => d === 'f32' || d === 'f16';
const T = (d: DType) => (d === 'f32' ? 'f32' : d === 'i32' ? 'i32' : 'u32');

/** A float function: `Math.f`/`lib.f` in JavaScript, `f` in WGSL. */
const float1 = (js: string, wgsl: string): AluRule => ({
  arity: 1,
  result: same,
  js: (_, a) => `Math.fround(${js}(${a}))`,
  wgsl: (_, a) => `${wgsl}(${a})`,
});

/** An arithmetic op written the same in both languages, wrapped to the dtype. */
const arith = (sym: string): AluRule => ({
  arity: 2,
  result: same,
  js: (d, a, b) => jsWrap(d, `${a} ${sym} ${b}`),
  wgsl: (d, a, b) => wgslWrap(d, `${a} ${sym} ${b}`),
});

const compare = (sym: string): AluRule => ({
  arity: 2,
  result: flag,
  js: (_, a, b) => `(${a} ${sym} ${b} ? 1 : 0)`,
  wgsl: (_, a, b) => `select(0u, 1u, ${a} ${sym} ${b})`,
});

export const ALU = {
  neg: { arity: 1, result: same, js: (d, a) => jsWrap(d, `-${a}`), wgsl: (d, a) => wgslWrap(d, `-${a}`) },
  abs: {
    arity: 1,
    result: same,
    js: (d, a) => (d === 'u32' || d === 'u8' ? a : jsWrap(d, `Math.abs(${a})`)),
    wgsl: (d, a) => (d === 'u32' || d === 'u8' ? a : `abs(${a})`),
  },
  // sign(NaN) is 0 on both backends.
  sign: {
    arity: 1,
    result: same,
    js: (_, a) => `(${a} > 0 ? 1 : ${a} < 0 ? -1 : 0)`,
    wgsl: (d, a) => (isF(d) ? `select(sign(${a}), 0.0, is_nan(${a}))` : `sign(${a})`),
  },
  exp: float1('Math.exp', 'exp'),
  log: float1('Math.log', 'log_f'),
  sqrt: float1('Math.sqrt', 'sqrt'),
  rsqrt: {
    arity: 1,
    result: same,
    js: (_, a) => `Math.fround(1 / Math.sqrt(${a}))`,
    wgsl: (_, a) => `inverseSqrt(${a})`,
  },
  sin: float1('Math.sin', 'sin_f'),
  cos: float1('Math.cos', 'cos_f'),
  tanh: float1('Math.tanh', 'tanh_f'),
  sigmoid: {
    arity: 1,
    result: same,
    js: (_, a) => `Math.fround(1 / (1 + Math.exp(-${a})))`,
    wgsl: (_, a) => `sigmoid_f(${a})`,
  },
  erf: float1('lib.erf', 'erf_f'),
  log1p: float1('Math.log1p', 'log1p_f'),
  expm1: float1('Math.expm1', 'expm1_f'),
  log2: float1('Math.log2', 'log2_f'),
  tan: float1('Math.tan', 'tan_f'),
  asin: float1('Math.asin', 'asin_f'),
  acos: float1('Math.acos', 'acos_f'),
  atan: float1('Math.atan', 'atan_f'),
  floor: float1('Math.floor', 'floor'),
  ceil: float1('Math.ceil', 'ceil'),
  trunc: float1('Math.trunc', 'trunc'),
  /** To the nearest integer, ties to even, as PyTorch (and WGSL's round). */
  round: float1('lib.roundEven', 'round'),
  isnan: {
    arity: 1,
    result: flag,
    js: (_, a) => `(${a} !== ${a} ? 1 : 0)`,
    wgsl: (_, a) => `select(0u, 1u, is_nan(${a}))`,
  },
  isinf: {
    arity: 1,
    result: flag,
    js: (_, a) => `(${a} === Infinity || ${a} === -Infinity ? 1 : 0)`,
    wgsl: (_, a) => `select(0u, 1u, is_inf(${a}))`,
  },
  // NaN and −0 stay themselves, as in PyTorch (WGSL's max may drop a NaN, so it selects).
  relu: {
    arity: 1,
    result: same,
    js: (_, a) => `(${a} < 0 ? 0 : ${a})`,
    wgsl: (d, a) =>
      isF(d)
        ? `select(${a}, 0.0, ${a} < 0.0 && !is_nan(${a}))`
        : `select(${a}, ${T(d)}(0), ${a} < ${T(d)}(0))`,
  },
  add: arith('+'),
  sub: arith('-'),
  mul: {
    arity: 2,
    result: same,
    // Integer products wrap exactly, where a float product would lose low bits.
    js: (d, a, b) => (isF(d) ? jsWrap(d, `${a} * ${b}`) : jsWrap(d, `Math.imul(${a}, ${b})`)),
    wgsl: (d, a, b) => wgslWrap(d, `${a} * ${b}`),
  },
  // Integer division truncates, and by zero gives 0 (as NumPy), where WGSL would give a.
  div: {
    arity: 2,
    result: same,
    js: (d, a, b) =>
      isF(d) ? `Math.fround(${a} / ${b})` : jsWrap(d, `${b} === 0 ? 0 : Math.trunc(${a} / ${b})`),
    wgsl: (d, a, b) => (isF(d) ? `${a} / ${b}` : `select(${a} / ${b}, ${T(d)}(0), ${b} == ${T(d)}(0))`),
  },
  // C's fmod (the sign of a), exact: JavaScript's % is C's fmod on doubles, and the remainder of
  // two floats is a float. Integers by zero give 0, as integer division does.
  fmod: {
    arity: 2,
    result: same,
    js: (d, a, b) => (isF(d) ? `Math.fround(${a} % ${b})` : jsWrap(d, `${b} === 0 ? 0 : ${a} % ${b}`)),
    wgsl: (d, a, b) =>
      isF(d) ? `fmod_f(${a}, ${b})` : wgslWrap(d, `select(${a} % ${b}, ${T(d)}(0), ${b} == ${T(d)}(0))`),
  },
  pow: {
    arity: 2,
    result: same,
    js: (_, a, b) => `Math.fround(lib.pow(${a}, ${b}))`,
    wgsl: (_, a, b) => `pow_f(${a}, ${b})`,
  },
  // NaN wins either way round, as PyTorch's maximum/minimum.
  maximum: {
    arity: 2,
    result: same,
    js: (d, a, b) => (isF(d) ? `lib.maximum(${a}, ${b})` : `Math.max(${a}, ${b})`),
    wgsl: (d, a, b) => (isF(d) ? `max_f(${a}, ${b})` : `max(${a}, ${b})`),
  },
  minimum: {
    arity: 2,
    result: same,
    js: (d, a, b) => (isF(d) ? `lib.minimum(${a}, ${b})` : `Math.min(${a}, ${b})`),
    wgsl: (d, a, b) => (isF(d) ? `min_f(${a}, ${b})` : `min(${a}, ${b})`),
  },
  eq: compare('=='),
  ne: compare('!='),
  lt: compare('<'),
  le: compare('<='),
  gt: compare('>'),
  ge: compare('>='),
  /** cond (bool or u8, nonzero is true) ? a : b; the result has b's dtype. */
  where: {
    arity: 3,
    result: (d) => d[1],
    js: (_, c, a, b) => `(${c} !== 0 ? ${a} : ${b})`,
    wgsl: (_, c, a, b) => `select(${b}, ${a}, ${c} != 0u)`,
  },
  /** Uniform in [0, 1) from counter `b` of the random stream of seed `a` (u32 operands). */
  uniform: {
    arity: 2,
    result: () => 'f32',
    js: (_, a, b) => `lib.uniform(${a}, ${b})`,
    wgsl: (_, a, b) => `uniform_f(${a}, ${b})`,
  },
  /** Standard normal from counters 2b and 2b + 1 of the stream of seed `a` (Box–Muller). */
  normal: {
    arity: 2,
    result: () => 'f32',
    js: (_, a, b) => `Math.fround(lib.normal(${a}, ${b}))`,
    wgsl: (_, a, b) => `normal_f(${a}, ${b})`,
  },
} satisfies Record<string, AluRule>;

export type AluOp = keyof typeof ALU;
