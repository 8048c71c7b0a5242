import type { DType } from '../../dtype.js';
import type { AluOp } from '../../ir/alu.js';
import type { Code } from './builder.js';
import type { E } from './lanes.js';
import type { Op } from './opcodes.js';
import type { Routine } from './routines.js';

/**
 * Where an ALU op's code is being written: scalar code holds f32 values as f32 and the integer
 * dtypes as i32 (u8 in 0…255); vector code holds four lanes of either in a v128.
 */
export interface Target {
  readonly c: Code;
  readonly vector: boolean;
  /** The function index of a double-precision routine for this kind of code. */
  routine(name: Routine): number;
  /** The function index of the imported float remainder, (f64, f64) → f64. */
  readonly fmod: number;
  /** Writes routine `name` inline, its arguments in locals `args` (f64, or v128 of f64x2), leaving its result. */
  inline(name: Routine, args: number[]): void;
  /** A new local of this code's value type (f32/i32 in scalar code, v128 in vector code). */
  temp(d: DType): number;
}

/** Writes code that pushes the op's result, given its operand dtype `d` and operands (each cheap to repeat: a local or a constant). */
type Emit = (t: Target, d: DType, a: E, b: E, c: E) => void;

/** How one ALU op is written in WebAssembly: always as scalar code, and as 4-lane SIMD code where it has a form. */
export interface WasmRule {
  readonly scalar: Emit;
  readonly vector?: Emit;
}

const isF = (d: DType) => d === 'f32';
const signed = (d: DType) => d === 'i32';

/** Integer results of u8 arithmetic wrap to 0…255, as the JavaScript reference's `& 255`. */
function wrapU8(t: Target, d: DType): void {
  if (d !== 'u8') return;
  if (t.vector) t.c.v128(Int32Array.of(255, 255, 255, 255)).op('v128.and');
  else t.c.i32(255).op('i32.and');
}

/** A constant of the operands' type, splat in vector code. */
function konst(t: Target, d: DType, v: number): void {
  if (!t.vector) isF(d) ? t.c.f32(v) : t.c.i32(v);
  else t.c.v128(isF(d) ? Float32Array.of(v, v, v, v) : Int32Array.of(v, v, v, v));
}

/** The opcode named `name` for dtype `d`: `f32.add`, `i32.lt_s`, `f32x4.add`, `i32x4.lt_u`… */
function opFor(t: Target, d: DType, name: string, sign = false): Op {
  const ty = isF(d) ? (t.vector ? 'f32x4' : 'f32') : t.vector ? 'i32x4' : 'i32';
  const suffix = !isF(d) && sign ? (signed(d) ? '_s' : '_u') : '';
  return `${ty}.${name}${suffix}` as Op;
}

/** m ? a : b (m an i32 0/1 in scalar code, an all-ones/all-zeros lane mask in vector code). */
function choose(t: Target, m: E, a: E, b: E): void {
  a();
  b();
  m();
  t.c.op(t.vector ? 'v128.bitselect' : 'select');
}

/** A comparison: i32 0/1 in scalar code, a lane mask in vector code. */
const compareMask =
  (t: Target, d: DType, name: string, a: E, b: E): E =>
  () => {
    a();
    b();
    t.c.op(opFor(t, d, name, name !== 'eq' && name !== 'ne'));
  };

/**
 * a / b (truncated) or a rem b of scalar integers, 0 where b is 0, as the JavaScript reference;
 * i32 −2³¹ / −1 wraps to −2³¹ (and its remainder is 0), where WebAssembly's div_s would trap.
 */
function intDivide(t: Target, d: DType, a: E, b: E, op: 'div' | 'rem'): void {
  const c = t.c;
  const isZero = () => {
    b();
    c.op('i32.eqz');
  };
  const isMinusOne = () => {
    b();
    c.i32(-1).op('i32.eq');
  };
  const zeroOrMinusOne = () => {
    isZero();
    isMinusOne();
    c.op('i32.or');
  };
  const safeDivisor = () => choose(t, signed(d) ? zeroOrMinusOne : isZero, () => c.i32(1), b);
  const result = () => {
    a();
    safeDivisor();
    c.op(`i32.${op}_${signed(d) ? 's' : 'u'}` as Op);
    wrapU8(t, d);
  };
  // By −1: the quotient is −a (wrapping), the remainder 0.
  const byMinusOne = op === 'div' ? () => negateInt(t, a) : () => c.i32(0);
  const nonzero = signed(d) ? () => choose(t, isMinusOne, byMinusOne, result) : result;
  choose(t, isZero, () => c.i32(0), nonzero);
}

/** 0 − a, wrapping (scalar i32). */
function negateInt(t: Target, a: E): void {
  t.c.i32(0);
  a();
  t.c.op('i32.sub');
}

/** A vector mask as u8 lanes (0 or 1). */
function maskToFlag(t: Target): void {
  t.c.v128(Int32Array.of(1, 1, 1, 1)).op('v128.and');
}

const arith =
  (name: 'add' | 'sub' | 'mul'): Emit =>
  (t, d, a, b) => {
    a();
    b();
    t.c.op(opFor(t, d, name));
    wrapU8(t, d);
  };

const compare = (name: string): WasmRule => ({
  scalar: (t, d, a, b) => compareMask(t, d, name, a, b)(),
  vector: (t, d, a, b) => {
    compareMask(t, d, name, a, b)();
    maskToFlag(t);
  },
});

/**
 * A float function through a double-precision routine: scalar code widens, calls and narrows;
 * vector code widens each pair of lanes to an f64x2, runs the routine on both, and narrows the
 * two results back into four lanes.
 */
function viaF64(name: Routine): Emit {
  return (t, _d, a, b) => {
    const args = name === 'pow' ? [a, b] : [a];
    if (!t.vector) {
      const fn = t.routine(name);
      for (const x of args) {
        x();
        t.c.op('f64.promote_f32');
      }
      t.c.call(fn).op('f32.demote_f64');
      return;
    }
    // Each half of the four lanes, widened to f64x2 in locals, through the routine written inline
    // (no call per pair of lanes: the loop's code is then one body for the engine to schedule).
    const LOW = [0, 1, 2, 3, 4, 5, 6, 7];
    for (const high of [false, true]) {
      const locals = args.map((x) => {
        const l = t.c.local('v128');
        x();
        if (high) {
          x();
          t.c.shuffle([...LOW.map((i) => i + 8), ...LOW]);
        }
        t.c.op('f64x2.promote_low_f32x4').set(l);
        return l;
      });
      t.inline(name, locals);
      t.c.op('f32x4.demote_f64x2_zero');
    }
    t.c.shuffle([...LOW, ...LOW.map((i) => i + 16)]);
  };
}

/** A float op as a routine, with no other form: sin, log, … */
const routine = (name: Routine): WasmRule => ({ scalar: viaF64(name), vector: viaF64(name) });

/** An op with one instruction for floats (`f32.<name>` / `f32x4.<name>`). */
const float1 = (name: string): WasmRule => {
  const emit: Emit = (t, d, a) => {
    a();
    t.c.op(opFor(t, d, name));
  };
  return { scalar: emit, vector: emit };
};

/** max/min: floats as the JavaScript reference (`a > b || isNaN(a) ? a : b`, so NaN wins and ties give b); integers by value. */
const extremum = (name: 'gt' | 'lt', int: 'max' | 'min'): WasmRule => ({
  scalar: (t, d, a, b) => {
    const pick = isF(d)
      ? () => {
          compareMask(t, d, name, a, b)();
          compareMask(t, d, 'ne', a, a)();
          t.c.op('i32.or');
        }
      : compareMask(t, d, name, a, b);
    choose(t, pick, a, b);
  },
  vector: (t, d, a, b) => {
    if (!isF(d)) {
      a();
      b();
      t.c.op(opFor(t, d, int, true));
      return;
    }
    choose(
      t,
      () => {
        compareMask(t, d, name, a, b)();
        compareMask(t, d, 'ne', a, a)();
        t.c.op('v128.or');
      },
      a,
      b,
    );
  },
});

/** sign: 1, −1 or 0 (NaN gives 0); for both kinds of code. */
const sign: Emit = (t, d, a) => {
  const zero = () => konst(t, d, 0);
  const inner = () => choose(t, compareMask(t, d, 'lt', a, zero), () => konst(t, d, -1), zero);
  choose(t, compareMask(t, d, 'gt', a, zero), () => konst(t, d, 1), inner);
};

/** relu: a < 0 ? 0 : a (NaN and −0 stay). */
const relu: Emit = (t, d, a) => {
  if (d === 'u32' || d === 'u8') return a();
  const zero = () => konst(t, d, 0);
  choose(t, compareMask(t, d, 'lt', a, zero), zero, a);
};

/** 32-bit PCG hash of the i32 on the stack (scalar.ts `pcg`), leaving its result on the stack. */
function pcg(c: Code, state: number, word: number): void {
  c.i32(747796405)
    .op('i32.mul')
    .i32(2891336453 | 0)
    .op('i32.add')
    .set(state);
  c.get(state).get(state).i32(28).op('i32.shr_u').i32(4).op('i32.add', 'i32.shr_u');
  c.get(state).op('i32.xor').i32(277803737).op('i32.mul').tee(word);
  c.get(word).i32(22).op('i32.shr_u', 'i32.xor');
}

/** Random word `index` of the stream of `seed` (scalar.ts `randomWord`), pushed as an i32. */
function randomWord(t: Target, seed: E, index: E): void {
  const state = t.temp('u32');
  const word = t.temp('u32');
  seed();
  pcg(t.c, state, word);
  index();
  t.c.op('i32.xor');
  pcg(t.c, state, word);
}

/** Uniform float from a random word on the stack: (w >>> 8) / 2^24. */
function wordToUniform(c: Code, asF64: boolean): void {
  c.i32(8).op('i32.shr_u');
  if (asF64)
    c.op('f64.convert_i32_u')
      .f64(2 ** -24)
      .op('f64.mul');
  else
    c.op('f32.convert_i32_u')
      .f32(2 ** -24)
      .op('f32.mul');
}

export const WASM_ALU = {
  neg: {
    scalar: (t, d, a) => {
      if (isF(d)) {
        a();
        t.c.op('f32.neg');
        return;
      }
      t.c.i32(0);
      a();
      t.c.op('i32.sub');
      wrapU8(t, d);
    },
    vector: (t, d, a) => {
      a();
      t.c.op(isF(d) ? 'f32x4.neg' : 'i32x4.neg');
      wrapU8(t, d);
    },
  },
  abs: {
    scalar: (t, d, a) => {
      if (isF(d)) {
        a();
        t.c.op('f32.abs');
      } else if (d === 'i32') {
        choose(
          t,
          compareMask(t, d, 'lt', a, () => t.c.i32(0)),
          () => negateInt(t, a),
          a,
        );
      } else a();
    },
    vector: (t, d, a) => {
      a();
      if (isF(d)) t.c.op('f32x4.abs');
      else if (d === 'i32') t.c.op('i32x4.abs');
    },
  },
  sign: { scalar: sign, vector: sign },
  exp: routine('exp'),
  log: routine('log'),
  sqrt: float1('sqrt'),
  rsqrt: routine('rsqrt'),
  sin: routine('sin'),
  cos: routine('cos'),
  tanh: routine('tanh'),
  sigmoid: routine('sigmoid'),
  erf: routine('erf'),
  log1p: routine('log1p'),
  expm1: routine('expm1'),
  log2: routine('log2'),
  tan: routine('tan'),
  asin: routine('asin'),
  acos: routine('acos'),
  atan: routine('atan'),
  floor: float1('floor'),
  ceil: float1('ceil'),
  trunc: float1('trunc'),
  round: float1('nearest'),
  isnan: {
    scalar: (t, d, a) => compareMask(t, d, 'ne', a, a)(),
    vector: (t, d, a) => {
      compareMask(t, d, 'ne', a, a)();
      maskToFlag(t);
    },
  },
  isinf: {
    scalar: (t, _d, a) => {
      a();
      t.c.op('f32.abs').f32(Infinity).op('f32.eq');
    },
    vector: (t, d, a) => {
      a();
      t.c.op('f32x4.abs');
      konst(t, d, Infinity);
      t.c.op('f32x4.eq');
      maskToFlag(t);
    },
  },
  relu: { scalar: relu, vector: relu },
  add: { scalar: arith('add'), vector: arith('add') },
  sub: { scalar: arith('sub'), vector: arith('sub') },
  mul: { scalar: arith('mul'), vector: arith('mul') },
  // Integer division truncates and gives 0 for a zero divisor; i32 −2³¹/−1 wraps (WebAssembly's div_s would trap on both).
  div: {
    scalar: (t, d, a, b) => {
      if (isF(d)) {
        a();
        b();
        t.c.op('f32.div');
      } else intDivide(t, d, a, b, 'div');
    },
    vector: (t, d, a, b) => {
      if (!isF(d)) throw new Error('internal: integer division has no vector form');
      a();
      b();
      t.c.op('f32x4.div');
    },
  },
  // The remainder with the sign of a (C's fmod): floats through the host's exact %, integers by
  // rem (a zero divisor gives 0). No SIMD form.
  fmod: {
    scalar: (t, d, a, b) => {
      if (!isF(d)) return intDivide(t, d, a, b, 'rem');
      for (const x of [a, b]) {
        x();
        t.c.op('f64.promote_f32');
      }
      t.c.call(t.fmod).op('f32.demote_f64');
    },
  },
  pow: routine('pow'),
  maximum: extremum('gt', 'max'),
  minimum: extremum('lt', 'min'),
  eq: compare('eq'),
  ne: compare('ne'),
  lt: compare('lt'),
  le: compare('le'),
  gt: compare('gt'),
  ge: compare('ge'),
  where: {
    scalar: (t, _d, c, a, b) => choose(t, c, a, b),
    vector: (t, _d, c, a, b) =>
      choose(
        t,
        () => {
          c();
          t.c.v128(Int32Array.of(0, 0, 0, 0)).op('i32x4.ne');
        },
        a,
        b,
      ),
  },
  uniform: {
    scalar: (t, _d, seed, index) => {
      randomWord(t, seed, index);
      wordToUniform(t.c, false);
    },
  },
  normal: {
    // scalar.ts `normal`: √(−2·log u1)·cos(2π·u2), u1 from word 2i (shifted off 0), u2 from word 2i + 1.
    scalar: (t, _d, seed, index) => {
      const c = t.c;
      const k = t.temp('u32');
      index();
      c.i32(1).op('i32.shl').set(k);
      randomWord(t, seed, () => c.get(k));
      c.i32(8)
        .op('i32.shr_u')
        .i32(1)
        .op('i32.add')
        .op('f64.convert_i32_u')
        .f64(2 ** -24)
        .op('f64.mul');
      c.call(t.routine('log')).f64(-2).op('f64.mul', 'f64.sqrt');
      randomWord(t, seed, () => c.get(k).i32(1).op('i32.add'));
      wordToUniform(c, true);
      c.f64(2 * Math.PI)
        .op('f64.mul')
        .call(t.routine('cos'))
        .op('f64.mul', 'f32.demote_f64');
    },
  },
} satisfies Record<AluOp, WasmRule>;

/** Whether op `op` on operands of dtype `d` has a vector form. */
export function hasVectorForm(op: AluOp, d: DType): boolean {
  const rule: WasmRule = WASM_ALU[op];
  if (!rule.vector) return false;
  // WebAssembly SIMD has no integer division.
  return !(op === 'div' && !isF(d));
}
