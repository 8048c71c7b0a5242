import { tensor_map, tensor_math, tensor_rows } from '@tessera/kernels';
import type { DType } from '../dtype.js';
import type { ReduceGroup } from '../opgroups.js';
import type { ArgReduceOp, KernelFn, OutSpec, ReduceOp, View } from '../opset.js';
import { axesLast, contiguousStrides, numel } from '../shape.js';
import { f32Bits, fill, StridedViews, wgslType } from './codegen.js';
import type { Gpu } from './gpu.js';

type H = GPUBuffer;

const LOWEST: Record<'f32' | 'i32' | 'u32', string> = {
  f32: 'neg_inf()',
  i32: 'i32(-2147483647 - 1)',
  u32: '0u',
};
const HIGHEST: Record<'f32' | 'i32' | 'u32', string> = {
  f32: 'pos_inf()',
  i32: 'i32(2147483647)',
  u32: '0xffffffffu',
};

/** Largest power of two ≤ the adapter's workgroup size: the tree reductions halve it. */
const pow2 = (n: number) => 2 ** Math.floor(Math.log2(n));

/**
 * Launches the row kernel: rows are the elements of the dims not in `axes`, each row the elements
 * of `axes` (moved last by addressing). `keepShape` outputs write back in the input's layout.
 */
function rows(
  g: Gpu,
  label: string,
  x: View<H>,
  axes: number[],
  out: OutSpec,
  body: string,
  opts: { keepShape?: boolean; acc?: DType; extra?: number[] } = {},
): H {
  const { shape, len, rows: nrows, take } = axesLast(x.shape, axes);
  const src = { shape, strides: take(x.strides), offset: x.offset };
  const dst = {
    shape,
    strides: opts.keepShape ? take(contiguousStrides(out.shape)) : contiguousStrides(shape),
    offset: 0,
  };
  const views = new StridedViews(shape, opts.keepShape ? [src, dst] : [src], [
    numel(shape),
    nrows,
    len,
    ...(opts.extra ?? []),
  ]);
  const T = wgslType(x.dtype);
  const acc = wgslType(opts.acc ?? x.dtype);
  // Threads per row: enough to cover the row once (at least 32), at most the adapter's workgroup.
  const wg = Math.min(pow2(g.wg), Math.max(32, 2 ** Math.ceil(Math.log2(Math.max(len, 1)))));
  const float = acc === 'f32';
  const buf = g.alloc(out);
  g.launch({
    key: `rows:${label}:${T}>${wgslType(out.dtype)}:wg${wg}:${views.key}`,
    label: `tensor/rows:${label}`,
    source: () =>
      fill(tensor_rows, {
        BINDINGS: `alias T = ${T};\nalias ACC = ${acc};\n@group(0) @binding(0) var<storage, read> in_a: array<T>;\n@group(0) @binding(1) var<storage, read_write> out: array<${wgslType(out.dtype)}>;`,
        PARAMS: g.params(2, views.words),
        INDEX: views.fns(opts.keepShape ? ['a', 'o'] : ['a']),
        MATH: tensor_math,
        WG: wg,
        MAX: float ? 'max_f' : 'max',
        MIN: float ? 'min_f' : 'min',
        BETTER: label === 'argmin' ? '<' : '>',
        PAIR: label.includes('softmax') ? SOFTMAX_PAIR : SUM_PAIR,
        BODY: body.replaceAll('LOWEST', LOWEST[acc]).replaceAll('HIGHEST', HIGHEST[acc]),
      }),
    buffers: [x.handle, buf],
    words: views.words,
    workgroups: nrows,
  });
  return buf;
}

const x_j = 'in_a[idx_a(base + j)]';

const reduceBody = (combine: string, wgFn: string, init: string) => `
  var acc: ACC = ${init};
  for (var j = lid; j < len; j = j + WG) { acc = ${combine}(acc, ACC(${x_j})); }
  let r = ${wgFn}(acc, lid);
  if (lid == 0u) { out[row] = r; }`;

const argBody = (init: string) => `
  var best: ACC = ${init};
  var bi = 0xffffffffu;
  for (var j = lid; j < len; j = j + WG) {
    let v = ACC(${x_j});
    if (bi == 0xffffffffu || better(v, best)) { best = v; bi = j; }
  }
  let r = wg_arg(best, bi, lid);
  if (lid == 0u) { out[row] = i32(r); }`;

// One pass of online softmax: each thread keeps (max, Σ exp(x − max)), pairs merge by rescaling.
const SOFTMAX_PAIR = `let m = max(a.x, b.x);
  if (m == neg_inf()) { return vec2<f32>(m, 0.0); }
  return vec2<f32>(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));`;

const softmaxBody = (log: boolean) => `
  var st = vec2<f32>(neg_inf(), 0.0);
  for (var j = lid; j < len; j = j + WG) { st = pair_combine(st, vec2<f32>(${x_j}, 1.0)); }
  let r = wg_pair(st, lid);
  let mx = r.x;
  ${log ? 'let ls = log(r.y);' : 'let inv = 1.0 / r.y;'}
  for (var j = lid; j < len; j = j + WG) {
    let v = ${x_j};
    out[idx_o(base + j)] = ${log ? 'v - mx - ls' : 'exp(v - mx) * inv'};
  }`;

const SUM_PAIR = 'return a + b;';

// Moments about the row's first element, which keeps E[d²] − E[d]² from cancelling when |mean| ≫ std.
const layerNormBody = `
  let k = ${'in_a[idx_a(base)]'};
  var st = vec2<f32>(0.0, 0.0);
  for (var j = lid; j < len; j = j + WG) { let d = ${x_j} - k; st = st + vec2<f32>(d, d * d); }
  let mom = wg_pair(st, lid) / f32(len);
  let mean = k + mom.x;
  let rstd = inverseSqrt(max(mom.y - mom.x * mom.x, 0.0) + mf(3u));
  for (var j = lid; j < len; j = j + WG) { out[idx_o(base + j)] = (${x_j} - mean) * rstd; }`;

const rmsNormBody = `
  var q = 0.0;
  for (var j = lid; j < len; j = j + WG) { let v = ${x_j}; q = q + v * v; }
  let r = inverseSqrt(wg_sum(q, lid) / f32(len) + mf(3u));
  for (var j = lid; j < len; j = j + WG) { out[idx_o(base + j)] = ${x_j} * r; }`;

// Inclusive Hillis–Steele scan over chunks of WG elements, carrying each chunk's total forward.
const cumsumBody = `
  var carry: ACC = ACC(0);
  for (var c = 0u; c < len; c = c + WG) {
    let j = c + lid;
    var v: ACC = ACC(0);
    if (j < len) { v = ACC(${x_j}); }
    red[lid] = v;
    workgroupBarrier();
    for (var s = 1u; s < WG; s = s * 2u) {
      var t: ACC = ACC(0);
      if (lid >= s) { t = red[lid - s]; }
      workgroupBarrier();
      red[lid] = red[lid] + t;
      workgroupBarrier();
    }
    if (j < len) { out[idx_o(base + j)] = carry + red[lid]; }
    carry = carry + red[WG - 1u];
    workgroupBarrier();
  }`;

/** Rows this short are reduced by one invocation each: a 256-thread workgroup per row would idle. */
const SHORT_ROW = 64;

/**
 * One invocation per output row, looping over the row: for many short rows (the sums that undo a
 * broadcast, arg-reductions over small axes), where {@link rows} would launch a mostly idle workgroup each.
 */
function shortRows(
  g: Gpu,
  label: string,
  x: View<H>,
  axes: number[],
  out: OutSpec,
  init: string,
  step: string,
  result: string,
): H {
  const { shape, len, rows: nrows, take } = axesLast(x.shape, axes);
  const views = new StridedViews(
    shape,
    [{ shape, strides: take(x.strides), offset: x.offset }],
    [nrows, len],
  );
  const T = wgslType(x.dtype);
  const outT = wgslType(out.dtype);
  const buf = g.alloc(out);
  g.launch({
    key: `short:${label}:${T}>${outT}:${views.key}`,
    label: `tensor/short_rows:${label}`,
    source: () =>
      fill(tensor_map, {
        BINDINGS: `alias ACC = ${T};\n@group(0) @binding(0) var<storage, read> in_a: array<${T}>;\n@group(0) @binding(1) var<storage, read_write> out: array<${outT}>;`,
        PARAMS: g.params(2, views.words),
        INDEX: views.fns(['a']),
        MATH: tensor_math,
        WG: g.wg,
        BODY: `let len = m(1u);
  var acc: ACC = ${init.replaceAll('LOWEST', LOWEST[T]).replaceAll('HIGHEST', HIGHEST[T])};
  var at = 0u;
  for (var j = 0u; j < len; j = j + 1u) {
    let v = in_a[idx_a(i * len + j)];
    ${step}
  }
  out[i] = ${result};`,
      }),
    buffers: [x.handle, buf],
    words: views.words,
    workgroups: Math.ceil(nrows / g.wg),
  });
  return buf;
}

const isShort = (x: View<H>, axes: number[]) => numel(axes.map((d) => x.shape[d])) <= SHORT_ROW;

/** How each reduction starts, steps along a short row, and combines in a workgroup tree. */
const REDUCTIONS: Record<
  ReduceOp,
  { init: string; step: (float: boolean) => string; tree: string; combine: string }
> = {
  sum: { init: 'ACC(0)', step: () => 'acc = acc + v;', tree: 'wg_sum', combine: 'add_acc' },
  max: {
    init: 'LOWEST',
    step: (f) => `acc = ${f ? 'max_f' : 'max'}(acc, v);`,
    tree: 'wg_max',
    combine: 'max_acc',
  },
  min: {
    init: 'HIGHEST',
    step: (f) => `acc = ${f ? 'min_f' : 'min'}(acc, v);`,
    tree: 'wg_min',
    combine: 'min_acc',
  },
};
const ARG_REDUCTIONS: Record<ArgReduceOp, { init: string; beats: string }> = {
  argmax: { init: 'LOWEST', beats: '>' },
  argmin: { init: 'HIGHEST', beats: '<' },
};

export function reduceGpu(g: Gpu): { [K in ReduceGroup]: KernelFn<H, K> } {
  const reduce =
    (op: ReduceOp): KernelFn<H, ReduceOp> =>
    (out, [x], { axes }) => {
      const r = REDUCTIONS[op];
      return isShort(x, axes)
        ? shortRows(g, op, x, axes, out, r.init, r.step(x.dtype === 'f32'), 'acc')
        : rows(g, op, x, axes, out, reduceBody(r.combine, r.tree, r.init));
    };
  const argReduce =
    (op: ArgReduceOp): KernelFn<H, ArgReduceOp> =>
    (out, [x], { axis }) => {
      const a = ARG_REDUCTIONS[op];
      return isShort(x, [axis])
        ? shortRows(
            g,
            op,
            x,
            [axis],
            out,
            a.init,
            `if (j == 0u || v ${a.beats} acc) { acc = v; at = j; }`,
            'i32(at)',
          )
        : rows(g, op, x, [axis], out, argBody(a.init));
    };
  return {
    sum: reduce('sum'),
    max: reduce('max'),
    min: reduce('min'),
    argmax: argReduce('argmax'),
    argmin: argReduce('argmin'),
    cumsum: (out, [x], { axis }) => rows(g, 'cumsum', x, [axis], out, cumsumBody, { keepShape: true }),
    softmax: (out, [x], { axis }) =>
      rows(g, 'softmax', x, [axis], out, softmaxBody(false), { keepShape: true }),
    log_softmax: (out, [x], { axis }) =>
      rows(g, 'log_softmax', x, [axis], out, softmaxBody(true), { keepShape: true }),
    layer_norm: (out, [x], { eps }) =>
      rows(g, 'layer_norm', x, [x.shape.length - 1], out, layerNormBody, {
        keepShape: true,
        extra: [f32Bits(eps)],
      }),
    rms_norm: (out, [x], { eps }) =>
      rows(g, 'rms_norm', x, [x.shape.length - 1], out, rmsNormBody, {
        keepShape: true,
        extra: [f32Bits(eps)],
      }),
  };
}
