import type { DType } from '../dtype.js';
import { type Exp, ex } from '../ir/exp.js';
import * as E from '../ops/elementwise.js';
import type { BinaryOp, CompareOp, UnaryOp } from '../opset.js';
import { BINARY_OPS, COMPARE_OPS } from '../opset.js';
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
};

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
      | 'erf',
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
    if (!INTEGER_OK.has(op)) needDType(op, x, 'input', ['f32']);
    if (op === 'neg' || op === 'sign') needDType(op, x, 'input', ['f32', 'i32']);
    return { shape: x.shape, dtype: x.dtype };
  },
  grad: unaryGrad[op],
});

const binaryRule = (op: BinaryOp): MapRule<BinaryOp> => ({
  exp: ([a, b]) => ex.alu(op, a, b),
  infer: (inputs) => {
    sameShapes(op, inputs);
    const dtype = sameDType(op, inputs, ['a', 'b']);
    if (op === 'pow') needDType(op, inputs[0], 'a', ['f32']);
    return { shape: inputs[0].shape, dtype };
  },
  grad: binaryGrad[op],
});

const compareRule = (op: CompareOp): MapRule<CompareOp> => ({
  exp: ([a, b]) => ex.alu(op, a, b),
  infer: (inputs) => {
    sameShapes(op, inputs);
    sameDType(op, inputs, ['a', 'b']);
    return { shape: inputs[0].shape, dtype: 'u8' };
  },
  grad: { nondifferentiable: 'a comparison is piecewise constant' },
});

const fromKeys = <U extends string, V>(keys: readonly U[], f: (k: U) => V) =>
  Object.fromEntries(keys.map((k) => [k, f(k)])) as Record<U, V>;

export const elementwiseRules: MapRules<UnaryOp | BinaryOp | CompareOp | 'cast' | 'where'> = {
  ...fromKeys(Object.keys(unaryGrad) as UnaryOp[], unaryRule),
  ...fromKeys(BINARY_OPS, binaryRule),
  ...fromKeys(COMPARE_OPS, compareRule),
  cast: {
    exp: ([a], { dtype }) => ex.cast(a, dtype),
    infer: ([x], { dtype }) => ({ shape: x.shape, dtype }),
    grad: (g, { inputs: [x], out }) => [x.dtype === 'f32' && out.dtype === 'f32' ? g : null],
  },
  where: {
    exp: ([c, a, b]) => ex.alu('where', c, a, b),
    infer: (inputs) => {
      sameShapes('where', inputs);
      needDType('where', inputs[0], 'cond', ['u8']);
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
