import { type DType, FLOATS, isFloat } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { type Exp, ex } from '../ir/exp.js';
import { zerosLike } from '../ops/creation.js';
import * as E from '../ops/elementwise.js';
import type { BinaryOp, CompareOp, LogicalOp, PredicateOp, UnaryOp } from '../opset.js';
import { BINARY_OPS, COMPARE_OPS, LOGICAL_OPS, PREDICATE_OPS } from '../opset.js';
import type { Tensor } from '../tensor.js';
import { needDType, sameDType, sameShapes } from './check.js';
import type { Backward, MapRule, MapRules } from './types.js';

// Unary ops that also take integers; every other one is float-only.
const INTEGER_OK = new Set<UnaryOp>(['neg', 'abs', 'sign', 'relu']);

const unaryGrad: Record<UnaryOp, Backward<UnaryOp> | { nondifferentiable: string }> = {
  neg: (g) => [E.neg(g)],
  abs: (g, { inputs: [x] }) => [E.mul(g, E.sign(x))],
  sign: { nondifferentiable: 'piecewise constant: its gradient is zero wherever it exists' },
  exp: (g, { out }) => [E.mul(g, out)],
  log: (g, { inputs: [x] }) => [E.div(g, x)],
  sqrt: (g, { out }) => [E.div(g, E.mul(out, 2))],
  rsqrt: (g, { out }) => [E.mul(E.mul(g, -0.5), E.mul(out, E.square(out)))],
  sin: (g, { inputs: [x] }) => [E.mul(g, E.cos(x))],
  cos: (g, { inputs: [x] }) => [E.neg(E.mul(g, E.sin(x)))],
  tanh: (g, { out }) => [E.mul(g, E.sub(1, E.square(out)))],
  sigmoid: (g, { out }) => [E.mul(g, E.mul(out, E.sub(1, out)))],
  // PyTorch's threshold_backward: the gradient passes unless x <= 0 (a NaN input passes it).
  relu: (g, { inputs: [x] }) => [E.where(E.le(x, 0), 0, g)],
  gelu: (g, { inputs: [x] }) => {
    // d/dx x·Φ(x) = Φ(x) + x·φ(x)
    const cdf = E.mul(E.add(E.erf(E.mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = E.mul(E.exp(E.mul(E.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return [E.mul(g, E.add(cdf, E.mul(x, pdf)))];
  },
  silu: (g, { inputs: [x] }) => {
    const s = E.sigmoid(x);
    return [E.mul(g, E.mul(s, E.add(E.mul(x, E.sub(1, s)), 1)))];
  },
  erf: (g, { inputs: [x] }) => [E.mul(g, E.mul(E.exp(E.neg(E.square(x))), 2 / Math.sqrt(Math.PI)))],
  log1p: (g, { inputs: [x] }) => [E.div(g, E.add(x, 1))],
  expm1: (g, { out }) => [E.mul(g, E.add(out, 1))],
  log2: (g, { inputs: [x] }) => [E.div(g, E.mul(x, Math.LN2))],
  tan: (g, { out }) => [E.mul(g, E.add(E.square(out), 1))],
  asin: (g, { inputs: [x] }) => [E.mul(g, E.rsqrt(E.sub(1, E.square(x))))],
  acos: (g, { inputs: [x] }) => [E.neg(E.mul(g, E.rsqrt(E.sub(1, E.square(x)))))],
  atan: (g, { inputs: [x] }) => [E.div(g, E.add(E.square(x), 1))],
  // Piecewise constant: PyTorch gives zeros (not NaN where g is NaN).
  floor: (g) => [zerosLike(g)],
  ceil: (g) => [zerosLike(g)],
  round: (g) => [zerosLike(g)],
  trunc: (g) => [zerosLike(g)],
  reciprocal: (g, { out }) => [E.neg(E.mul(g, E.square(out)))],
  // PyTorch's softplus_backward: g past the threshold, g·z/(z + 1) with z = eˣ below it.
  softplus: (g, { inputs: [x] }) => {
    const z = E.exp(x);
    return [E.where(E.gt(x, SOFTPLUS_THRESHOLD), g, E.div(E.mul(g, z), E.add(z, 1)))];
  },
};

/** Above it softplus is x itself, as in PyTorch (beta 1, threshold 20). */
const SOFTPLUS_THRESHOLD = 20;

const f32 = (v: number) => ex.const(v, 'f32');
const alu1 =
  (
    op:
      | 'neg'
      | 'abs'
      | 'sign'
      | 'exp'
      | 'log'
      | 'sqrt'
      | 'rsqrt'
      | 'sin'
      | 'cos'
      | 'tanh'
      | 'sigmoid'
      | 'relu'
      | 'erf'
      | 'log1p'
      | 'expm1'
      | 'log2'
      | 'tan'
      | 'asin'
      | 'acos'
      | 'atan'
      | 'floor'
      | 'ceil'
      | 'round'
      | 'trunc',
  ) =>
  (a: Exp) =>
    ex.alu(op, a);

/** Each unary op's element: an ALU op, or a composition of them. */
const unaryExp: Record<UnaryOp, (a: Exp) => Exp> = {
  neg: alu1('neg'),
  abs: alu1('abs'),
  sign: alu1('sign'),
  exp: alu1('exp'),
  log: alu1('log'),
  sqrt: alu1('sqrt'),
  rsqrt: alu1('rsqrt'),
  sin: alu1('sin'),
  cos: alu1('cos'),
  tanh: alu1('tanh'),
  sigmoid: alu1('sigmoid'),
  relu: alu1('relu'),
  // x·Φ(x) = ½x(1 + erf(x/√2)), PyTorch's default (exact) form; + 0 turns −0 into +0 as PyTorch's does.
  gelu: (x) =>
    ex.alu(
      'add',
      ex.alu(
        'mul',
        ex.alu('mul', x, f32(0.5)),
        ex.alu('add', f32(1), ex.alu('erf', ex.alu('mul', x, f32(Math.SQRT1_2)))),
      ),
      f32(0),
    ),
  silu: (x) => ex.alu('mul', x, ex.alu('sigmoid', x)),
  erf: alu1('erf'),
  log1p: alu1('log1p'),
  expm1: alu1('expm1'),
  log2: alu1('log2'),
  tan: alu1('tan'),
  asin: alu1('asin'),
  acos: alu1('acos'),
  atan: alu1('atan'),
  floor: alu1('floor'),
  ceil: alu1('ceil'),
  round: alu1('round'),
  trunc: alu1('trunc'),
  reciprocal: (x) => ex.alu('div', f32(1), x),
  softplus: (x) =>
    ex.alu('where', ex.alu('gt', x, f32(SOFTPLUS_THRESHOLD)), x, ex.alu('log1p', ex.alu('exp', x))),
};

const bool = (v: number) => ex.const(v, 'bool');
const zeroOf = (x: Exp) => ex.const(0, x.dtype);
/** Nonzero as true, zero (and −0) as false; NaN is nonzero. */
const truthy = (x: Exp) => ex.alu('ne', x, zeroOf(x));

/** Each predicate: an expression of the element (integers are never NaN or infinite). */
const predicateExp: Record<PredicateOp, (x: Exp) => Exp> = {
  isnan: (x) => (isFloat(x.dtype) ? ex.alu('isnan', x) : bool(0)),
  isinf: (x) => (isFloat(x.dtype) ? ex.alu('isinf', x) : bool(0)),
  isfinite: (x) =>
    isFloat(x.dtype)
      ? ex.alu('eq', ex.alu('maximum', ex.alu('isnan', x), ex.alu('isinf', x)), bool(0))
      : bool(1),
  logical_not: (x) => ex.alu('eq', x, zeroOf(x)),
};

const logicalExp: Record<LogicalOp, (a: Exp, b: Exp) => Exp> = {
  logical_and: (a, b) => ex.alu('mul', truthy(a), truthy(b)),
  logical_or: (a, b) => ex.alu('maximum', truthy(a), truthy(b)),
  logical_xor: (a, b) => ex.alu('ne', truthy(a), truthy(b)),
};

const binaryGrad: Record<BinaryOp, Backward<BinaryOp>> = {
  add: (g) => [g, g],
  sub: (g) => [g, E.neg(g)],
  mul: (g, { inputs: [a, b], needs }) => [needs[0] ? E.mul(g, b) : null, needs[1] ? E.mul(g, a) : null],
  div: (g, { inputs: [, b], out, needs }) => [
    needs[0] ? E.div(g, b) : null,
    // −g·((a/b)/b), as PyTorch: b² would overflow for |b| > 1.8e19.
    needs[1] ? E.mul(E.neg(g), E.div(out, b)) : null,
  ],
  // PyTorch's pow_backward: d/da is 0 where b = 0 (also at a = 0), b·a^(b−1) elsewhere; d/db is
  // 0 where a = 0 and b >= 0, aᵇ·ln a elsewhere (NaN for a < 0, −inf at a = 0, b < 0).
  pow: (g, { inputs: [a, b], out, needs }) => [
    needs[0] ? E.where(E.eq(b, 0), 0, E.mul(g, E.mul(b, E.pow(a, E.sub(b, 1))))) : null,
    needs[1] ? E.mul(g, E.where(E.mul(E.eq(a, 0), E.ge(b, 0)), 0, E.mul(out, E.log(a)))) : null,
  ],
  // As PyTorch: ties split the gradient evenly; each operand loses it only to a strictly larger
  // (maximum) or smaller (minimum) other, so with a NaN both operands get all of it.
  maximum: (g, { inputs: [a, b] }) => splitTies(g, a, b, E.lt, E.gt),
  minimum: (g, { inputs: [a, b] }) => splitTies(g, a, b, E.gt, E.lt),
  // PyTorch's: a − q·b with q the quotient rounded toward zero (fmod) or down (remainder), so
  // d/da = 1 and d/db = −q.
  fmod: (g, { inputs: [a, b], needs }) => [
    needs[0] ? g : null,
    needs[1] ? E.mul(E.neg(g), E.trunc(E.div(a, b))) : null,
  ],
  remainder: (g, { inputs: [a, b], needs }) => [
    needs[0] ? g : null,
    needs[1] ? E.mul(E.neg(g), floorDivide(a, b)) : null,
  ],
};

/**
 * a / b rounded down, as PyTorch's `div(a, b, rounding_mode='floor')` computes it (from the exact
 * fmod, then a correction toward the nearest integer): a / b where b = 0, ±0 by the sign of a / b
 * for a zero quotient.
 */
function floorDivide(a: Tensor, b: Tensor): Tensor {
  const mod = E.fmod(a, b);
  const exact = E.div(E.sub(a, mod), b);
  const q = E.where(E.logicalAnd(E.ne(mod, 0), E.ne(E.lt(b, 0), E.lt(mod, 0))), E.sub(exact, 1), exact);
  const down = E.floor(q);
  const rounded = E.where(E.gt(E.sub(q, down), 0.5), E.add(down, 1), down);
  const quotient = E.div(a, b);
  return E.where(E.eq(b, 0), quotient, E.where(E.ne(q, 0), rounded, E.mul(quotient, 0)));
}

/** Each binary op's element: its ALU op, or a composition of them. */
const binaryExp: Record<BinaryOp, (a: Exp, b: Exp) => Exp> = {
  ...(Object.fromEntries(
    BINARY_OPS.filter((op) => op !== 'remainder').map((op) => [op, (a: Exp, b: Exp) => ex.alu(op, a, b)]),
  ) as Record<Exclude<BinaryOp, 'remainder'>, (a: Exp, b: Exp) => Exp>),
  // Python's %: the sign of b. fmod, moved by b where it is nonzero and its sign differs from b's.
  remainder: (a, b) => {
    const r = ex.alu('fmod', a, b);
    const zero = zeroOf(a);
    const differs = ex.alu('ne', ex.alu('lt', b, zero), ex.alu('lt', r, zero));
    return ex.alu('where', ex.alu('mul', ex.alu('ne', r, zero), differs), ex.alu('add', r, b), r);
  },
};

function splitTies(
  g: Tensor,
  a: Tensor,
  b: Tensor,
  aLoses: (x: Tensor, y: Tensor) => Tensor,
  bLoses: (x: Tensor, y: Tensor) => Tensor,
): Tensor[] {
  const share = E.where(E.eq(a, b), E.mul(g, 0.5), g);
  return [E.where(aLoses(a, b), 0, share), E.where(bLoses(a, b), 0, share)];
}

const unaryRule = (op: UnaryOp): MapRule<UnaryOp> => ({
  exp: ([a]) => unaryExp[op](a),
  infer: ([x]) => {
    if (!INTEGER_OK.has(op)) needDType(op, x, 'input', FLOATS);
    // As PyTorch: negating a bool is refused (logicalNot inverts a mask).
    if (op === 'neg' || op === 'sign') needDType(op, x, 'input', [...FLOATS, 'i32']);
    return { shape: x.shape, dtype: x.dtype };
  },
  grad: unaryGrad[op],
});

const binaryRule = (op: BinaryOp): MapRule<BinaryOp> => ({
  exp: ([a, b]) => binaryExp[op](a, b),
  infer: (inputs) => {
    sameShapes(op, inputs);
    const dtype = sameDType(op, inputs, ['a', 'b']);
    if (op === 'pow') needDType(op, inputs[0], 'a', FLOATS);
    if (op === 'sub' && dtype === 'bool') {
      throw new DTypeError(
        'sub: a and b are bool, and subtracting bools is not defined (as in PyTorch); use logicalXor, or cast them first',
      );
    }
    return { shape: inputs[0].shape, dtype };
  },
  grad: binaryGrad[op],
});

const compareRule = (op: CompareOp): MapRule<CompareOp> => ({
  exp: ([a, b]) => ex.alu(op, a, b),
  infer: (inputs) => {
    sameShapes(op, inputs);
    sameDType(op, inputs, ['a', 'b']);
    return { shape: inputs[0].shape, dtype: 'bool' };
  },
  grad: { nondifferentiable: 'a comparison is piecewise constant' },
});

const fromKeys = <U extends string, V>(keys: readonly U[], f: (k: U) => V) =>
  Object.fromEntries(keys.map((k) => [k, f(k)])) as Record<U, V>;

const predicateRule = (op: PredicateOp): MapRule<PredicateOp> => ({
  exp: ([a]) => predicateExp[op](a),
  infer: ([x]) => ({ shape: x.shape, dtype: 'bool' }),
  grad: { nondifferentiable: 'a test of each element gives true or false' },
});

const logicalRule = (op: LogicalOp): MapRule<LogicalOp> => ({
  exp: ([a, b]) => logicalExp[op](a, b),
  infer: (inputs) => {
    sameShapes(op, inputs);
    sameDType(op, inputs, ['a', 'b']);
    return { shape: inputs[0].shape, dtype: 'bool' };
  },
  grad: { nondifferentiable: 'a logical op gives true or false' },
});

const floatOnly = <K extends 'leaky_relu' | 'elu'>(op: K) => ({
  infer: ([x]: readonly Tensor[]) => {
    needDType(op, x, 'input', FLOATS);
    return { shape: x.shape, dtype: x.dtype };
  },
});

export const elementwiseRules: MapRules<
  UnaryOp | BinaryOp | CompareOp | PredicateOp | LogicalOp | 'leaky_relu' | 'elu' | 'cast' | 'where'
> = {
  ...fromKeys(Object.keys(unaryGrad) as UnaryOp[], unaryRule),
  ...fromKeys(BINARY_OPS, binaryRule),
  ...fromKeys(COMPARE_OPS, compareRule),
  ...fromKeys(PREDICATE_OPS, predicateRule),
  ...fromKeys(LOGICAL_OPS, logicalRule),
  // As PyTorch: x > 0 picks x (NaN takes the other branch, and stays NaN there).
  leaky_relu: {
    ...floatOnly('leaky_relu'),
    exp: ([x], { slope }, param) =>
      ex.alu('where', ex.alu('gt', x, f32(0)), x, ex.alu('mul', x, param(slope, 'f32'))),
    grad: (g, { inputs: [x], params: { slope } }) => [E.where(E.gt(x, 0), g, E.mul(g, slope))],
  },
  elu: {
    ...floatOnly('elu'),
    // + 0 gives +0 for −0, as PyTorch's elu does.
    exp: ([x], { alpha }, param) =>
      ex.alu(
        'where',
        ex.alu('gt', x, f32(0)),
        x,
        ex.alu('add', ex.alu('mul', ex.alu('expm1', x), param(alpha, 'f32')), f32(0)),
      ),
    // g where x > 0, g·alpha·eˣ elsewhere (so NaN at NaN, as PyTorch gives).
    grad: (g, { inputs: [x], params: { alpha } }) => [
      E.where(E.gt(x, 0), g, E.mul(g, E.mul(E.exp(x), alpha))),
    ],
  },
  cast: {
    exp: ([a], { dtype }) => ex.cast(a, dtype),
    infer: ([x], { dtype }) => ({ shape: x.shape, dtype }),
    // Between floats the gradient is cast back (f32 → f16 rounds it, as PyTorch's).
    grad: (g, { inputs: [x], out }) => [isFloat(x.dtype) && isFloat(out.dtype) ? E.cast(g, x.dtype) : null],
  },
  where: {
    exp: ([c, a, b]) => ex.alu('where', c, a, b),
    infer: (inputs) => {
      sameShapes('where', inputs);
      needDType('where', inputs[0], 'cond', ['bool', 'u8']);
      const dtype = sameDType('where', inputs.slice(1), ['a', 'b']);
      return { shape: inputs[0].shape, dtype };
    },
    grad: (g, { inputs: [c], needs }) => [
      null,
      needs[1] ? E.where(c, g, 0) : null,
      needs[2] ? E.where(c, 0, g) : null,
    ],
  },
};

const creationInfer = (_: unknown, p: { shape: number[]; dtype: DType }) => ({
  shape: p.shape,
  dtype: p.dtype,
});
const constant = { nondifferentiable: 'creates a tensor from constants, it has no inputs' };
/** The counter of the element: the stream's offset plus its position. */
const counter = (offset: number, param: (v: number, d: DType) => Exp) =>
  ex.alu('add', param(offset, 'u32'), ex.index());

export const creationRules: MapRules<'full' | 'arange' | 'rand' | 'randn'> = {
  full: { infer: creationInfer, grad: constant, exp: (_, p, param) => param(p.value, p.dtype) },
  arange: {
    infer: creationInfer,
    grad: constant,
    exp: (_, p, param) =>
      ex.alu(
        'add',
        param(p.start, p.dtype),
        ex.alu('mul', ex.cast(ex.index(), p.dtype), param(p.step, p.dtype)),
      ),
  },
  rand: {
    infer: creationInfer,
    grad: constant,
    exp: (_, p, param) => ex.alu('uniform', param(p.seed, 'u32'), counter(p.offset, param)),
  },
  randn: {
    infer: creationInfer,
    grad: constant,
    exp: (_, p, param) => ex.alu('normal', param(p.seed, 'u32'), counter(p.offset, param)),
  },
};
