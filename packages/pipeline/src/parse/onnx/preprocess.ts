// ONNX-ML preprocessing operators: scaling, normalizing, imputing, encoding and picking columns.
import type { ClassifierOp } from '../../ir/types.js';
import { columnsOf, mlOperator, type NodeContext, type OnnxOperator } from './context.js';
import { concatenate, selectColumns } from './standard.js';
import type { ConstTensor } from './tensor.js';

/** A per-column parameter of 1 or `columns` values. */
function perColumn(ctx: NodeContext, name: string, values: number[], columns: number): number[] {
  if (values.length !== 1 && values.length !== columns)
    ctx.fail(`${name} has ${values.length} values; it needs 1 or ${columns} (one per column)`);
  return values;
}

function scaler(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.matrix(0);
  const offset = ctx.attrs.floats('offset') ?? [0];
  const scale = ctx.attrs.floats('scale') ?? [1];
  if (offset.length !== scale.length)
    ctx.fail(
      `offset has ${offset.length} values and scale ${scale.length}; onnxruntime needs as many of each`,
    );
  perColumn(ctx, 'offset', offset, x.dims[0]);
  ctx.emitRows(0, { kind: 'scaler', offset, scale }, [x.ir], 'float', x.dims);
}

function normalizer(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.matrix(0);
  const norm = ctx.attrs.string('norm') ?? 'MAX';
  // onnxruntime's MAX divides by the row's largest value, not by its largest magnitude.
  const kinds = { MAX: 'largest', L1: 'l1', L2: 'l2' } as const;
  const mapped = kinds[norm as keyof typeof kinds] ?? ctx.fail(`norm must be MAX, L1 or L2, got '${norm}'`);
  ctx.emitRows(0, { kind: 'normalizer', norm: mapped }, [x.ir], 'float', x.dims);
}

function imputer(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.matrix(0);
  const floats = ctx.attrs.floats('imputed_value_floats');
  const ints = ctx.attrs.ints('imputed_value_int64s');
  if (!floats === !ints) ctx.fail('give imputed_value_floats or imputed_value_int64s, one of them');
  const fill = (floats ?? ints)!;
  if (fill.length === 0) ctx.fail('the imputed values are empty');
  if (floats && x.kind !== 'float') ctx.fail('imputed_value_floats needs a float input');
  if (ints && x.kind !== 'int') ctx.fail('imputed_value_int64s needs an integer input');
  // onnxruntime fills with value [column] when there is one per column, else with the first.
  const values = fill.length === x.dims[0] ? fill : [fill[0]];
  const missing = floats
    ? (ctx.attrs.float('replaced_value_float') ?? 0)
    : (ctx.attrs.int('replaced_value_int64') ?? 0);
  ctx.emitRows(0, { kind: 'imputer', missing, fill: values }, [x.ir], x.kind, x.dims);
}

function binarizer(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.rows(0);
  if (x.kind === 'string') ctx.fail('input 0 holds strings; this operator reads numbers');
  ctx.emitRows(
    0,
    { kind: 'binarizer', threshold: ctx.attrs.float('threshold') ?? 0 },
    [x.ir],
    x.kind,
    x.dims,
  );
}

function oneHotEncoder(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.rows(0);
  const ints = ctx.attrs.ints('cats_int64s');
  const strings = ctx.attrs.strings('cats_strings');
  if (!ints === !strings || (ints ?? strings)!.length === 0)
    ctx.fail('give one non-empty list of categories, cats_int64s or cats_strings');
  const cats = (ints ?? strings)!;
  if (new Set<unknown>(cats).size !== cats.length) ctx.fail('a category is listed twice');
  if ((x.kind === 'string') !== !!strings)
    ctx.fail(`the input holds ${x.kind}s and the categories are ${strings ? 'strings' : 'integers'}`);
  const zeros = ctx.attrs.int('zeros') ?? 1;
  let source = x.ir;
  if (x.kind === 'float') {
    // onnxruntime casts float inputs to int64 (toward zero) before looking them up.
    source = ctx.fresh('truncated');
    ctx.emit({ kind: 'activation', fn: 'trunc' }, [x.ir], [source], 'trunc');
  }
  const categories = Array.from({ length: columnsOf(x.dims) }, () => cats) as number[][] | string[][];
  ctx.emitRows(0, { kind: 'oneHot', categories, unknown: zeros ? 'zeros' : 'error' }, [source], 'float', [
    ...x.dims,
    cats.length,
  ]);
}

/** Keys or values of a LabelEncoder, from whichever attribute form the opset uses. */
function encoderList(
  ctx: NodeContext,
  prefix: 'keys' | 'values',
): { kind: 'int' | 'float' | 'string'; data: number[] | string[] } {
  const tensor = ctx.attrs.tensor(`${prefix}_tensor`);
  const lists = [
    ['int', ctx.attrs.ints(`${prefix}_int64s`)],
    ['float', ctx.attrs.floats(`${prefix}_floats`)],
    ['string', ctx.attrs.strings(`${prefix}_strings`)],
  ] as const;
  const given = lists.filter(([, l]) => l !== undefined);
  if (given.length + (tensor ? 1 : 0) !== 1)
    ctx.fail(`give the ${prefix} in exactly one attribute (${prefix}_int64s, _floats, _strings or _tensor)`);
  if (tensor) return { kind: tensor.kind, data: tensor.data };
  const [kind, data] = given[0];
  return { kind, data: data! };
}

function defaultValue(ctx: NodeContext, kind: 'int' | 'float' | 'string'): number | string {
  const t: ConstTensor | undefined = ctx.attrs.tensor('default_tensor');
  if (t) {
    if (t.data.length !== 1 || t.kind !== kind) ctx.fail(`default_tensor must hold one ${kind}`);
    return t.data[0];
  }
  if (kind === 'string') return ctx.attrs.string('default_string') ?? '_Unused';
  if (kind === 'int') return ctx.attrs.int('default_int64') ?? -1;
  return ctx.attrs.float('default_float') ?? -0;
}

const LABEL_ENCODER_V1 = ['classes_strings', 'default_int64', 'default_string'];

/** Refuses the attributes of another version of LabelEncoder than the model imports. */
function labelEncoderVersion(ctx: NodeContext): number {
  const version = ctx.opset('ai.onnx.ml');
  for (const name of ctx.attrs.names()) {
    const since =
      name === 'classes_strings' ? 1 : name.endsWith('_tensor') ? 4 : LABEL_ENCODER_V1.includes(name) ? 1 : 2;
    const until = name === 'classes_strings' ? 1 : Number.POSITIVE_INFINITY;
    if (version < since || version > until)
      ctx.fail(
        `attribute '${name}' is not part of LabelEncoder in ai.onnx.ml ${version}, the version the model imports`,
      );
  }
  return version;
}

function labelEncoder(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.rows(0);
  const version = labelEncoderVersion(ctx);
  let keys: number[] | string[];
  let values: number[] | string[];
  let fallback: number | string;
  let outKind: 'int' | 'float' | 'string';
  if (version < 2) {
    // Version 1 maps strings to their index in classes_strings, or indices back to strings.
    const classes = ctx.attrs.strings('classes_strings') ?? [];
    const indices = classes.map((_, i) => i);
    if (x.kind === 'string') {
      // A class listed twice keeps its last index, as onnxruntime's map assignment does.
      const last = new Map(classes.map((c, i) => [c, i]));
      keys = [...last.keys()];
      values = [...last.values()];
      fallback = ctx.attrs.int('default_int64') ?? -1;
      outKind = 'int';
    } else {
      keys = indices;
      values = classes;
      fallback = ctx.attrs.string('default_string') ?? '_Unused';
      outKind = 'string';
    }
  } else {
    const k = encoderList(ctx, 'keys');
    const v = encoderList(ctx, 'values');
    if (k.data.length !== v.data.length) ctx.fail(`has ${k.data.length} keys and ${v.data.length} values`);
    if (k.kind !== x.kind) ctx.fail(`the keys are ${k.kind}s, the input holds ${x.kind}s`);
    // The first of repeated keys wins; before version 4 a NaN key matches nothing.
    const first = new Map<number | string, number | string>();
    k.data.forEach((key, i) => {
      if (typeof key === 'number' && Number.isNaN(key) && version < 4) return;
      if (!first.has(key)) first.set(key, v.data[i]);
    });
    keys = [...first.keys()] as number[] | string[];
    values = [...first.values()] as number[] | string[];
    fallback = defaultValue(ctx, v.kind);
    outKind = v.kind;
  }
  if (keys.length === 0) ctx.fail('needs at least one key (classes_strings or keys_*)');
  if (x.head) {
    // A classifier's label mapped to new names: the same classifier with its labels mapped.
    const map = new Map<number | string, number | string>(keys.map((k, i) => [k, values[i]]));
    const labels = (x.head.op.labels as (number | string)[]).map((l) => map.get(l) ?? fallback);
    const head = { ...x.head.op, labels: labels as number[] | string[] };
    const label = ctx.outputName(0);
    ctx.emit(head, x.head.scores, [label, ctx.fresh('scores')]);
    ctx.define(0, {
      tag: 'rows',
      ir: label,
      kind: outKind,
      dims: x.dims,
      head: { op: head, scores: x.head.scores },
    });
    return;
  }
  ctx.emitRows(0, { kind: 'labelEncoder', keys, values, fallback }, [x.ir], outKind, x.dims);
}

function arrayFeatureExtractor(ctx: NodeContext): void {
  ctx.inputCount(2);
  const data = ctx.input(0);
  const index = ctx.input(1);
  if (data.tag === 'const' && index.tag === 'argmax') {
    // A label table indexed by each row's best score: a classifier's label.
    const labels = data.tensor.data;
    if (labels.length !== index.columns)
      ctx.fail(`the label table has ${labels.length} entries for ${index.columns} scores`);
    const label = ctx.outputName(0);
    const head: ClassifierOp = { kind: 'classifier', labels, binary: 'none' };
    ctx.emit(head, [index.scores], [label, ctx.fresh('scores')]);
    ctx.define(0, {
      tag: 'rows',
      ir: label,
      kind: data.tensor.kind,
      dims: [1],
      head: { op: head, scores: [index.scores] },
    });
    return;
  }
  const x = ctx.rows(0);
  const indices = ctx.constant(1);
  if ((indices.data as number[]).some((i) => i < 0)) ctx.fail('indices must not be negative');
  selectColumns(ctx, x, x.dims.length - 1, indices);
}

function featureVectorizer(ctx: NodeContext): void {
  const n = ctx.inputNames.length;
  if (n === 0) ctx.fail('takes at least one input');
  const inputs = Array.from({ length: n }, (_, i) => ctx.matrix(i));
  const dims = ctx.attrs.ints('inputdimensions') ?? ctx.fail("attribute 'inputdimensions' is required");
  if (dims.length !== n) ctx.fail(`inputdimensions lists ${dims.length} inputs, the node has ${n}`);
  inputs.forEach((x, i) => {
    if (x.dims[0] !== dims[i])
      ctx.fail(`input ${i} has ${x.dims[0]} columns, inputdimensions says ${dims[i]}`);
  });
  concatenate(
    ctx,
    inputs.map((x) => ({ ...x, kind: 'float' as const })),
    0,
  );
}

function zipMap(ctx: NodeContext): void {
  ctx.inputCount(1);
  const x = ctx.matrix(0);
  const labels = ctx.attrs.ints('classlabels_int64s') ?? ctx.attrs.strings('classlabels_strings');
  if (!labels) ctx.fail('give classlabels_int64s or classlabels_strings');
  if (labels.length !== x.dims[0]) ctx.fail(`has ${labels.length} labels for ${x.dims[0]} columns`);
  // The pipeline keeps the probabilities as a matrix; the map per row is only a presentation.
  ctx.define(0, x);
}

/** The ONNX-ML preprocessing operators. */
export const PREPROCESSING_OPERATORS: OnnxOperator[] = [
  mlOperator('Scaler', { offset: 'FLOATS', scale: 'FLOATS' }, scaler),
  mlOperator('Normalizer', { norm: 'STRING' }, normalizer),
  mlOperator(
    'Imputer',
    {
      imputed_value_floats: 'FLOATS',
      imputed_value_int64s: 'INTS',
      replaced_value_float: 'FLOAT',
      replaced_value_int64: 'INT',
    },
    imputer,
  ),
  mlOperator('Binarizer', { threshold: 'FLOAT' }, binarizer),
  mlOperator('OneHotEncoder', { cats_int64s: 'INTS', cats_strings: 'STRINGS', zeros: 'INT' }, oneHotEncoder),
  mlOperator(
    'LabelEncoder',
    {
      classes_strings: 'STRINGS',
      default_int64: 'INT',
      default_string: 'STRING',
      default_float: 'FLOAT',
      default_tensor: 'TENSOR',
      keys_int64s: 'INTS',
      keys_floats: 'FLOATS',
      keys_strings: 'STRINGS',
      keys_tensor: 'TENSOR',
      values_int64s: 'INTS',
      values_floats: 'FLOATS',
      values_strings: 'STRINGS',
      values_tensor: 'TENSOR',
    },
    labelEncoder,
  ),
  mlOperator('ArrayFeatureExtractor', {}, arrayFeatureExtractor),
  mlOperator('FeatureVectorizer', { inputdimensions: 'INTS' }, featureVectorizer),
  mlOperator('ZipMap', { classlabels_int64s: 'INTS', classlabels_strings: 'STRINGS' }, zipMap),
];
