// Standard-domain operators an exported MLP, PCA or preprocessing graph uses: linear algebra with
// constant weights, elementwise arithmetic with a constant, activations, and the shape operators
// that only rename or regroup a row's columns.
import {
  columnsOf,
  type NodeContext,
  type OnnxOperator,
  type RowValue,
  standardOperator,
  type Value,
} from './context.js';
import { FOLDABLE, foldConstants } from './fold.js';
import { broadcastOverRow, concatColumns, gatherColumns } from './layout.js';
import { type ConstTensor, kindOfDataType } from './tensor.js';

/** [rows, k] × [k, m] weights as the pipeline's [outputs][inputs] rows. */
function transposed(t: ConstTensor, k: number, m: number, trans: boolean): number[][] {
  const w = t.data as number[];
  return Array.from({ length: m }, (_, o) =>
    Array.from({ length: k }, (_, i) => (trans ? w[o * k + i] : w[i * m + o])),
  );
}

function numericConstant(ctx: NodeContext, i: number): ConstTensor {
  const t = ctx.constant(i);
  if (t.kind === 'string') ctx.fail(`input ${i} holds strings; it must hold numbers`);
  return t;
}

/** y = alpha · A'·B' + beta · C with A the computed rows, B and C constants. */
function gemm(ctx: NodeContext): void {
  ctx.inputCount(2, 3);
  const x = ctx.matrix(0);
  if ((ctx.attrs.int('transA') ?? 0) !== 0)
    ctx.fail('transA = 1 would read the data as [columns, rows]; only transA = 0 is supported');
  const transB = (ctx.attrs.int('transB') ?? 0) !== 0;
  const alpha = ctx.attrs.float('alpha') ?? 1;
  const beta = ctx.attrs.float('beta') ?? 1;
  const b = numericConstant(ctx, 1);
  const k = x.dims[0];
  if (b.dims.length !== 2) ctx.fail(`B must be a matrix, got shape [${b.dims.join(', ')}]`);
  const [b0, b1] = b.dims;
  if ((transB ? b1 : b0) !== k)
    ctx.fail(
      `B has shape [${b.dims.join(', ')}]${transB ? ' (transposed)' : ''}, the input has ${k} columns`,
    );
  const m = transB ? b0 : b1;
  const weights = transposed(b, k, m, transB);
  const c = ctx.optional(2);
  let bias = new Array<number>(m).fill(0);
  if (c) {
    if (c.tag !== 'const') ctx.fail('C must be a constant (an initializer)');
    const values = broadcastOverRow([m], c.tensor.dims, c.tensor.data as number[]);
    bias = Array.from({ length: m }, (_, o) => Math.fround(beta * values[values.length === 1 ? 0 : o]));
  }
  if (alpha === 1) {
    ctx.emitRows(0, { kind: 'linear', weights, bias, post: 'none' }, [x.ir], 'float', [m]);
    return;
  }
  // onnxruntime scales the product, then adds the bias: keep the weights exact and do the same.
  const product = ctx.fresh('product');
  ctx.emit(
    { kind: 'linear', weights, bias: new Array(m).fill(0), post: 'none' },
    [x.ir],
    [product],
    'product',
  );
  if (!c) {
    ctx.emitRows(0, { kind: 'constant', fn: 'mul', value: [alpha] }, [product], 'float', [m]);
    return;
  }
  const scaled = ctx.fresh('scaled');
  ctx.emit({ kind: 'constant', fn: 'mul', value: [alpha] }, [product], [scaled], 'alpha');
  ctx.emitRows(0, { kind: 'constant', fn: 'add', value: bias }, [scaled], 'float', [m]);
}

function matmul(ctx: NodeContext): void {
  ctx.inputCount(2);
  if (ctx.input(0).tag === 'const' && ctx.input(1).tag !== 'const')
    ctx.fail('the constant must be the second operand (data × weights)');
  const x = ctx.matrix(0);
  const w = numericConstant(ctx, 1);
  const k = x.dims[0];
  if (w.dims.length === 1 && w.dims[0] === k) {
    ctx.emitRows(
      0,
      { kind: 'linear', weights: [w.data as number[]], bias: [0], post: 'none' },
      [x.ir],
      'float',
      [],
    );
    return;
  }
  if (w.dims.length !== 2 || w.dims[0] !== k)
    ctx.fail(`the weights have shape [${w.dims.join(', ')}], the input has ${k} columns`);
  const m = w.dims[1];
  const weights = transposed(w, k, m, false);
  ctx.emitRows(0, { kind: 'linear', weights, bias: new Array(m).fill(0), post: 'none' }, [x.ir], 'float', [
    m,
  ]);
}

/** Add, Sub, Mul, Div with one constant operand; on two constants, folded. */
function arithmetic(ctx: NodeContext): void {
  ctx.inputCount(2);
  const a = ctx.input(0);
  const b = ctx.input(1);
  if (ctx.attrs.has('axis')) ctx.fail("the legacy 'axis' broadcast is not supported");
  if (a.tag === 'const' && b.tag === 'const') {
    ctx.define(0, { tag: 'const', tensor: foldConstants(ctx.opType, [a.tensor, b.tensor]) });
    return;
  }
  if (a.tag !== 'const' && b.tag !== 'const')
    ctx.fail(`${ctx.opType} of two computed values is not supported; one operand must be a constant`);
  const dataFirst = b.tag === 'const';
  const x = ctx.rows(dataFirst ? 0 : 1);
  const c = numericConstant(ctx, dataFirst ? 1 : 0);
  if (x.kind === 'string') ctx.fail(`${ctx.opType} of strings`);
  if (x.kind === 'int' && ctx.opType === 'Div') ctx.fail('integer division is not supported');
  let value: number[];
  try {
    value = broadcastOverRow(x.dims, c.dims, c.data as number[]);
  } catch (e) {
    ctx.fail((e as Error).message);
  }
  const kind = x.kind;
  const fn = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div' }[ctx.opType] as 'add' | 'sub' | 'mul' | 'div';
  if (dataFirst || fn === 'add' || fn === 'mul') {
    ctx.emitRows(0, { kind: 'constant', fn, value }, [x.ir], kind, x.dims);
    return;
  }
  if (fn === 'div') ctx.fail('a constant divided by a computed value is not supported');
  // c − x as (−x) + c: negation is exact, so the sum rounds as the difference does.
  const negated = ctx.fresh('negated');
  ctx.emit({ kind: 'constant', fn: 'mul', value: [-1] }, [x.ir], [negated], 'negate');
  ctx.emitRows(0, { kind: 'constant', fn: 'add', value }, [negated], kind, x.dims);
}

/** Unary operators: an activation on computed values, folded on constants. */
function unary(fn: 'relu' | 'sigmoid' | 'tanh' | null) {
  return (ctx: NodeContext): void => {
    ctx.inputCount(1);
    const v = ctx.input(0);
    if (v.tag === 'const') {
      ctx.define(0, { tag: 'const', tensor: foldConstants(ctx.opType, [v.tensor]) });
      return;
    }
    const x = ctx.rows(0);
    if (x.kind === 'string') ctx.fail(`${ctx.opType} of strings`);
    if (ctx.opType === 'Neg') {
      ctx.emitRows(0, { kind: 'constant', fn: 'mul', value: [-1] }, [x.ir], x.kind, x.dims);
      return;
    }
    if (!fn) ctx.fail(`${ctx.opType} is supported on constants only`);
    ctx.emitRows(0, { kind: 'activation', fn }, [x.ir], 'float', x.dims);
  };
}

function softmax(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.matrix(0);
  const axis = ctx.attrs.int('axis') ?? (ctx.opset('ai.onnx') >= 13 ? -1 : 1);
  if (axis !== 1 && axis !== -1) ctx.fail(`axis must be 1 (the columns), got ${axis}`);
  ctx.emitRows(0, { kind: 'activation', fn: 'softmax' }, [x.ir], 'float', x.dims);
}

function identity(ctx: NodeContext): void {
  ctx.inputCount(1);
  ctx.define(0, ctx.input(0));
}

const FLOAT_TYPES = new Set([1, 11]);

function cast(ctx: NodeContext): void {
  ctx.inputCount(1);
  const to = ctx.attrs.int('to') ?? ctx.fail("attribute 'to' is required");
  const target = kindOfDataType(to);
  if (target === undefined || target === 'string' || to === 9)
    ctx.fail(`casting to data type ${to} is not supported; supported: FLOAT, DOUBLE and integer types`);
  const v = ctx.input(0);
  if (v.tag === 'argmax') {
    ctx.define(0, v);
    return;
  }
  if (v.tag === 'const') {
    const t = v.tensor;
    if (t.kind === 'string') ctx.fail('casting strings is not supported');
    const round = FLOAT_TYPES.has(to) ? (to === 1 ? Math.fround : (x: number) => x) : Math.trunc;
    ctx.define(0, {
      tag: 'const',
      tensor: { dims: t.dims, kind: target, data: (t.data as number[]).map(round) },
    });
    return;
  }
  if (v.kind === 'string') ctx.fail('casting strings is not supported');
  if (target === 'int' && v.kind === 'float') {
    ctx.emitRows(0, { kind: 'activation', fn: 'trunc' }, [v.ir], 'int', v.dims);
    return;
  }
  ctx.define(0, { ...v, kind: target });
}

function constant(ctx: NodeContext): void {
  ctx.inputCount(0);
  const a = ctx.attrs;
  const given = ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'].filter((n) => a.has(n));
  if (given.length !== 1) ctx.fail(`needs exactly one value attribute, got ${given.length}`);
  const tensor: ConstTensor = a.has('value')
    ? a.tensor('value')!
    : a.has('value_float')
      ? { dims: [], kind: 'float', data: [a.float('value_float')!] }
      : a.has('value_floats')
        ? { dims: [a.floats('value_floats')!.length], kind: 'float', data: a.floats('value_floats')! }
        : a.has('value_int')
          ? { dims: [], kind: 'int', data: [a.int('value_int')!] }
          : { dims: [a.ints('value_ints')!.length], kind: 'int', data: a.ints('value_ints')! };
  ctx.define(0, { tag: 'const', tensor });
}

/** The target dimensions (after the row) of a Reshape that keeps the rows. */
function reshapedDims(ctx: NodeContext, dims: number[], shape: number[], allowZero: boolean): number[] {
  const columns = columnsOf(dims);
  if (shape.length === 1 && shape[0] === -1) {
    if (columns !== 1) ctx.fail(`reshaping [N, ${dims.join(', ')}] to [-1] would mix rows`);
    return [];
  }
  if (shape[0] !== -1 && shape[0] !== 0)
    ctx.fail(`the new shape's first dimension must keep the rows (-1 or 0), got ${shape[0]}`);
  if (shape[0] === 0 && allowZero) ctx.fail('allowzero = 1 with a 0 in the shape is not supported');
  const rest = shape
    .slice(1)
    .map((d, j) =>
      d === 0 && !allowZero ? (dims[j] ?? ctx.fail(`dimension ${j + 1} of 0 copies nothing`)) : d,
    );
  const unknown = rest.filter((d) => d === -1).length;
  if (unknown > (shape[0] === -1 ? 0 : 1) || rest.some((d) => d < -1))
    ctx.fail(`the new shape [${shape.join(', ')}] must fix every dimension after the rows`);
  const known = rest.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const out = rest.map((d) => (d === -1 ? columns / known : d));
  if (!out.every(Number.isInteger) || columnsOf(out) !== columns)
    ctx.fail(`cannot reshape [N, ${dims.join(', ')}] to [${shape.join(', ')}] without mixing rows`);
  return out;
}

function reshape(ctx: NodeContext): void {
  ctx.inputCount(2);
  const shape = ctx.constant(1);
  if (shape.kind !== 'int') ctx.fail('the shape must hold integers');
  const v = ctx.input(0);
  if (v.tag === 'argmax') {
    ctx.define(0, v); // one index per row whatever the layout: [N], [N, 1] or [1, N]
    return;
  }
  if (v.tag === 'const') ctx.fail('reshaping a constant is not supported');
  const allowZero = (ctx.attrs.int('allowzero') ?? 0) !== 0;
  ctx.define(0, { ...v, dims: reshapedDims(ctx, v.dims, shape.data as number[], allowZero) });
}

function flatten(ctx: NodeContext): void {
  ctx.inputCount(1);
  const v = ctx.input(0);
  if (v.tag === 'argmax') {
    ctx.define(0, v);
    return;
  }
  const x = ctx.rows(0);
  const rank = x.dims.length + 1;
  const raw = ctx.attrs.int('axis') ?? 1;
  const axis = raw < 0 ? raw + rank : raw;
  if (axis < 1 || axis > rank) ctx.fail(`axis ${raw} would merge rows; it must be in 1..${rank}`);
  if (columnsOf(x.dims.slice(0, axis - 1)) !== 1) ctx.fail(`flattening at axis ${raw} would mix rows`);
  ctx.define(0, { ...x, dims: [columnsOf(x.dims.slice(axis - 1))] });
}

/** Normalizes an axis of a row value's rank into an index of its dims (0 = first after the row). */
export function columnAxis(ctx: NodeContext, raw: number, rank: number): number {
  const axis = raw < 0 ? raw + rank : raw;
  if (axis < 1 || axis >= rank) ctx.fail(`axis ${raw} must name a dimension after the rows (1..${rank - 1})`);
  return axis - 1;
}

/** Picks columns of a row value (Gather, ArrayFeatureExtractor). */
export function selectColumns(ctx: NodeContext, x: RowValue, axis: number, indices: ConstTensor): void {
  if (indices.kind !== 'int') ctx.fail('indices must be integers');
  let picked: { dims: number[]; columns: number[] };
  try {
    picked = gatherColumns(x.dims, axis, indices.data as number[], indices.dims);
  } catch (e) {
    ctx.fail((e as Error).message);
  }
  if (picked.columns.length === 0) ctx.fail('selects no columns');
  ctx.emitRows(0, { kind: 'select', indices: picked.columns }, [x.ir], x.kind, picked.dims);
}

function gather(ctx: NodeContext): void {
  ctx.inputCount(2);
  const x = ctx.rows(0);
  const axis = columnAxis(ctx, ctx.attrs.int('axis') ?? 0, x.dims.length + 1);
  selectColumns(ctx, x, axis, ctx.constant(1));
}

/** Row values side by side along an axis after the rows. */
export function concatenate(ctx: NodeContext, inputs: RowValue[], axis: number): void {
  let layout: { dims: number[]; columns: number[] | null };
  try {
    layout = concatColumns(
      inputs.map((v) => v.dims),
      axis,
    );
  } catch (e) {
    ctx.fail((e as Error).message);
  }
  const kinds = new Set(inputs.map((v) => v.kind));
  const kind = kinds.has('string') ? 'string' : kinds.has('float') ? 'float' : 'int';
  const names = inputs.map((v) => v.ir);
  if (!layout.columns) {
    ctx.emitRows(0, { kind: 'concat' }, names, kind, layout.dims);
    return;
  }
  const joined = ctx.fresh('joined');
  ctx.emit({ kind: 'concat' }, names, [joined], 'join');
  ctx.emitRows(0, { kind: 'select', indices: layout.columns }, [joined], kind, layout.dims);
}

function concat(ctx: NodeContext): void {
  const n = ctx.inputNames.length;
  if (n === 0) ctx.fail('takes at least one input');
  const inputs = Array.from({ length: n }, (_, i) => ctx.rows(i));
  const raw = ctx.attrs.int('axis') ?? ctx.fail("attribute 'axis' is required");
  concatenate(ctx, inputs, columnAxis(ctx, raw, inputs[0].dims.length + 1));
}

function argmax(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.matrix(0);
  const axis = ctx.attrs.int('axis') ?? 0;
  if (axis !== 1 && axis !== -1) ctx.fail(`axis must be 1 (the columns), got ${axis}`);
  if ((ctx.attrs.int('select_last_index') ?? 0) !== 0)
    ctx.fail('select_last_index = 1 is not supported (ties go to the first maximum)');
  const index: Value = { tag: 'argmax', scores: x.ir, columns: x.dims[0] };
  ctx.define(0, index);
}

/** The standard-domain operators. */
export const STANDARD_OPERATORS: OnnxOperator[] = [
  standardOperator(
    'Gemm',
    { alpha: 'FLOAT', beta: 'FLOAT', transA: 'INT', transB: 'INT', broadcast: 'INT' },
    gemm,
  ),
  standardOperator('MatMul', {}, matmul),
  ...['Add', 'Sub', 'Mul', 'Div'].map((t) =>
    standardOperator(t, { broadcast: 'INT', axis: 'INT' }, arithmetic),
  ),
  standardOperator('Relu', {}, unary('relu')),
  standardOperator('Sigmoid', {}, unary('sigmoid')),
  standardOperator('Tanh', {}, unary('tanh')),
  ...FOLDABLE.filter((t) => !['Add', 'Sub', 'Mul', 'Div', 'Relu', 'Sigmoid', 'Tanh'].includes(t)).map((t) =>
    standardOperator(t, {}, unary(null)),
  ),
  standardOperator('Softmax', { axis: 'INT' }, softmax),
  standardOperator('Identity', {}, identity),
  standardOperator('Cast', { to: 'INT', saturate: 'INT' }, cast),
  standardOperator(
    'Constant',
    { value: 'TENSOR', value_float: 'FLOAT', value_floats: 'FLOATS', value_int: 'INT', value_ints: 'INTS' },
    constant,
  ),
  standardOperator('Reshape', { allowzero: 'INT' }, reshape),
  standardOperator('Flatten', { axis: 'INT' }, flatten),
  standardOperator('Gather', { axis: 'INT' }, gather),
  standardOperator('Concat', { axis: 'INT' }, concat),
  standardOperator('ArgMax', { axis: 'INT', keepdims: 'INT', select_last_index: 'INT' }, argmax),
];
