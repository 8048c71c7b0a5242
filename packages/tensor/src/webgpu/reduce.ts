import { type ParamScalar, paramBlock, specialize } from '@tessera/gpu';
import { tensor_map, tensor_math, tensor_rows } from '@tessera/kernels';
import type { DType } from '../dtype.js';
import { ROW_PROGRAMS, type RowProgram, type RowProgramOp } from '../ir/rows.js';
import { paramField, paramFields, paramValues } from '../ir/wgsl.js';
import type { ReduceGroup } from '../opgroups.js';
import type { ArgReduceOp, FusedInput, KernelFn, OutSpec, ReduceOp, View } from '../opset.js';
import { axesLast, contiguousStrides, numel } from '../shape.js';
import { fill, stridedViews, type ViewsSpec, viewsCode, wgslType } from './codegen.js';
import type { Gpu } from './gpu.js';
import { type InputSpec, inputBinding, inputCode, inputSpec } from './read.js';
import { type RowProgramWgsl, rowProgramWgsl } from './row-program.js';

type H = GPUBuffer;
/** A kernel's input: a view, or a fused elementwise prologue read element by element. */
type Input = View<H> | FusedInput<H>;

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

/** How a row kernel binds its inputs: the row view, and for second passes a statistics buffer. */
interface RowPass {
  /** Read as `load_a(k)`: this input's rows (the reduced axes moved last). */
  x: Input;
  axes: number[];
  /** Per-segment statistics of the first pass, bound as `stats` (element type `type`). */
  stats?: { buffer: H; type: string };
  /** Segments per row and their length: one segment of the whole row unless split. */
  nseg: number;
  segLen: number;
  /** Output buffer and its WGSL element type; `keepShape` outputs write back in the input's layout. */
  out: H;
  outType: string;
  keepShape?: boolean;
  /** Extra parameter fields the body reads (`params.<name>`), and their values. */
  extra?: ExtraParams;
  /** Body of pair_combine, for pair statistics (default: componentwise sum). */
  pair?: string;
  /** How arg-reductions compare: `>` finds the maximum, `<` the minimum. */
  better?: '<' | '>';
}

/** Parameter fields a row kernel's body reads beyond the header, with their values. */
interface ExtraParams {
  fields: Record<string, ParamScalar>;
  values: Record<string, number>;
}

/** What selects a row kernel's WGSL: plain data and the fused input's expression (by structure). */
interface RowKernelOptions {
  body: string;
  input: InputSpec;
  views: ViewsSpec;
  /** WGSL element type of the statistics buffer of a second pass. */
  stats?: string;
  outType: string;
  acc: DType;
  wg: number;
  pair: string;
  better: '<' | '>';
  extra: Record<string, ParamScalar>;
}

const rowKernel = specialize((o: RowKernelOptions) => {
  const input = inputCode(o.input);
  const views = viewsCode(o.views);
  const params = paramBlock({
    rows: 'u32',
    len: 'u32',
    nseg: 'u32',
    seg_len: 'u32',
    ...o.extra,
    ...input.fields,
    ...views.fields,
  });
  const accT = wgslType(o.acc);
  const float = accT === 'f32';
  const n = input.bindings.length;
  const bindings = [
    `alias T = ${wgslType(o.input.dtype)};`,
    `alias ACC = ${accT};`,
    ...input.bindings,
    ...(o.stats ? [`@group(0) @binding(${n}) var<storage, read> stats: array<${o.stats}>;`] : []),
    `@group(0) @binding(${n + (o.stats ? 1 : 0)}) var<storage, read_write> out: array<${o.outType}>;`,
  ];
  const code = fill(tensor_rows, {
    BINDINGS: `${bindings.join('\n')}\n${input.fn}`,
    PARAMS: params.wgsl(n + (o.stats ? 2 : 1)),
    INDEX: views.fns,
    MATH: tensor_math,
    WG: o.wg,
    MAX: float ? 'max_f' : 'max',
    MIN: float ? 'min_f' : 'min',
    NAN: float ? 'is_nan(a)' : 'false',
    BETTER: o.better,
    PAIR: o.pair,
    BODY: o.body.replaceAll('LOWEST', LOWEST[accT]).replaceAll('HIGHEST', HIGHEST[accT]),
  });
  return { code, params };
});

/**
 * Launches rows.wgsl: one workgroup per (row, segment), rows being the elements of the dims not in
 * `axes`, each row the elements of `axes` (moved last by addressing).
 */
function launchRows(g: Gpu, label: string, p: RowPass, body: string, acc: DType): void {
  const { x } = p;
  const { shape, len, rows: nrows, take } = axesLast(x.shape, p.axes);
  const read = inputBinding(x, 'a', take);
  const dst = { strides: take(contiguousStrides(x.shape)), offset: 0 };
  const views = stridedViews(
    shape,
    p.keepShape ? [...read.windows, dst] : read.windows,
    p.keepShape ? [...read.names, 'o'] : read.names,
  );
  g.dispatch({
    kernel: rowKernel({
      body,
      input: inputSpec(x, 'a'),
      views: views.spec,
      stats: p.stats?.type,
      outType: p.outType,
      acc,
      wg: rowThreads(g, p.segLen, nrows),
      pair: p.pair ?? 'return a + b;',
      better: p.better ?? '>',
      extra: p.extra?.fields ?? {},
    }),
    label: `tensor/rows:${label}`,
    buffers: [...read.buffers, ...(p.stats ? [p.stats.buffer] : []), p.out],
    params: {
      rows: nrows,
      len,
      nseg: p.nseg,
      seg_len: p.segLen,
      ...p.extra?.values,
      ...read.values,
      ...views.values,
    },
    workgroups: nrows * p.nseg,
  });
}

/** From this many rows on, each row gets a workgroup of 32 threads: there is parallelism enough. */
const MANY_ROWS = 64;

/**
 * The widest workgroup a row gets: 32 threads when rows are many (each thread loops longer, which
 * llvmpipe runs 1.5–2× faster than 256 threads and their barriers: softmax 512×1024 21 → 12 ms;
 * a warp per row on GPUs), the adapter's widest power of two for a few long rows.
 */
const rowWidth = (g: Gpu, nrows: number) => (nrows >= MANY_ROWS ? Math.min(32, pow2(g.wg)) : pow2(g.wg));

/** Threads per row segment: enough to cover it once (at least 32), at most {@link rowWidth}. */
const rowThreads = (g: Gpu, segLen: number, nrows: number) =>
  Math.min(rowWidth(g, nrows), Math.max(32, 2 ** Math.ceil(Math.log2(Math.max(segLen, 1)))));

/**
 * How a row of `len` is cut so that each invocation stays within the loop budget: `perStride` loop
 * iterations per stride of the workgroup over the segment, plus the tree, plus a loop over the
 * segment statistics of a second pass.
 */
function segmentation(
  g: Gpu,
  label: string,
  len: number,
  perStride: number,
  nrows: number,
): { nseg: number; segLen: number } {
  const wg = rowWidth(g, nrows);
  const tree = Math.log2(wg);
  const statsLoop = Math.ceil(Math.ceil(len / wg) / wg);
  const strides = g.stepsPerDispatch(`tensor/rows:${label}`, perStride, tree + statsLoop + 8);
  const segLen = strides * wg;
  if (len <= segLen) return { nseg: 1, segLen: len };
  return { nseg: Math.ceil(len / segLen), segLen };
}

const x_j = 'load_a(base + j)';
const SEGMENT = 'for (var j = j0 + lid; j < j1; j = j + WG)';

const reduceBody = (combine: string, wgFn: string, init: string) => `
  var acc: ACC = ${init};
  ${SEGMENT} { acc = ${combine}(acc, ACC(${x_j})); }
  let r = ${wgFn}(acc, lid);
  if (lid == 0u) { out[wg_index] = r; }`;

// Writes the index of the segment's first extremum (NaN first), counted from the row's start.
const argBody = (init: string) => `
  var best: ACC = ${init};
  var bi = 0xffffffffu;
  ${SEGMENT} {
    let v = ACC(${x_j});
    if (bi == 0xffffffffu || better(v, best)) { best = v; bi = j; }
  }
  let r = wg_arg(best, bi, lid);
  if (lid == 0u) { out[wg_index] = i32(r); }`;

// Second pass of a split arg-reduction: the best of each segment's candidate index, reread from x.
const argPickBody = (init: string) => `
  let nc = params.nc;
  var best: ACC = ${init};
  var bi = 0xffffffffu;
  for (var s = lid; s < nc; s = s + WG) {
    let j = u32(stats[row * nc + s]);
    let v = ACC(${x_j});
    if (bi == 0xffffffffu || better(v, best)) { best = v; bi = j; }
  }
  let r = wg_arg(best, bi, lid);
  if (lid == 0u) { out[row] = i32(r); }`;

const pairWrite = (op: RowProgramWgsl) => `
  ${op.finish}
  ${SEGMENT} {
    let v = ${x_j};
    ${op.apply}
    out[idx_o(base + j)] = ap;
  }`;

/** The row's pairs from this thread's elements of the segment, tree-combined into `r`. */
const pairGather = (op: RowProgramWgsl) => `
  ${op.prelude}
  var st = vec2<f32>(${op.init});
  ${SEGMENT} {
    let v = ${x_j};
    ${op.point}
    st = pair_combine(st, pt);
  }
  let r = wg_pair(st, lid);`;

/** Whole rows: gather the statistic over the row, then write it. */
const pairWholeBody = (op: RowProgramWgsl) => `${pairGather(op)}${pairWrite(op)}`;

/** Split rows, pass 1: each segment's statistic. */
const pairStatsBody = (op: RowProgramWgsl) => `${pairGather(op)}
  if (lid == 0u) { out[wg_index] = r; }`;

/** Split rows, pass 2: every segment combines all of its row's statistics, then writes itself. */
const pairApplyBody = (op: RowProgramWgsl) => `
  ${op.prelude}
  var st = vec2<f32>(${op.init});
  for (var s = lid; s < nseg; s = s + WG) { st = pair_combine(st, stats[row * nseg + s]); }
  let r = wg_pair(st, lid);${pairWrite(op)}`;

// Inclusive Hillis–Steele scan over chunks of WG elements of the segment, carrying each chunk's
// total forward from `carry`.
const scanSegment = `
  for (var c = j0; c < j1; c = c + WG) {
    let j = c + lid;
    var v: ACC = ACC(0);
    if (j < j1) { v = ACC(${x_j}); }
    scan[lid] = v;
    workgroupBarrier();
    for (var s = 1u; s < WG; s = s * 2u) {
      var t: ACC = ACC(0);
      if (lid >= s) { t = scan[lid - s]; }
      workgroupBarrier();
      scan[lid] = scan[lid] + t;
      workgroupBarrier();
    }
    if (j < j1) { out[idx_o(base + j)] = carry + scan[lid]; }
    carry = carry + scan[WG - 1u];
    workgroupBarrier();
  }`;
const cumsumBody = `
  var carry: ACC = ACC(0);${scanSegment}`;
// Split rows, pass 2: the segment starts from the sum of the segments before it.
const cumsumApplyBody = `
  var before: ACC = ACC(0);
  for (var s = lid; s < seg; s = s + WG) { before = before + stats[row * nseg + s]; }
  var carry: ACC = wg_sum(before, lid);${scanSegment}`;

/** Rows this short are reduced by one invocation each: a 256-thread workgroup per row would idle. */
const SHORT_ROW = 64;

/**
 * One invocation per output row, looping over the row: for many short rows (the sums that undo a
 * broadcast, arg-reductions over small axes), where the row kernel would launch a mostly idle
 * workgroup each. Rows are at most {@link SHORT_ROW} long, far within any loop budget.
 */
function shortRows(
  g: Gpu,
  label: string,
  x: Input,
  axes: number[],
  out: OutSpec,
  init: string,
  step: string,
  result: string,
): H {
  const { shape, len, rows: nrows, take } = axesLast(x.shape, axes);
  const read = inputBinding(x, 'a', take);
  const views = stridedViews(shape, read.windows, read.names);
  const T = wgslType(x.dtype);
  const buf = g.alloc(out);
  g.dispatch({
    kernel: shortKernel({
      input: inputSpec(x, 'a'),
      views: views.spec,
      outType: wgslType(out.dtype),
      wg: g.wg,
      init: init.replaceAll('LOWEST', LOWEST[T]).replaceAll('HIGHEST', HIGHEST[T]),
      step,
      result,
    }),
    label: `tensor/short_rows:${label}`,
    buffers: [...read.buffers, buf],
    params: { n: nrows, len, ...read.values, ...views.values },
    workgroups: Math.ceil(nrows / g.wg),
  });
  return buf;
}

/** What selects a short-row kernel's WGSL. */
interface ShortKernelOptions {
  input: InputSpec;
  views: ViewsSpec;
  outType: string;
  wg: number;
  init: string;
  step: string;
  result: string;
}

const shortKernel = specialize((o: ShortKernelOptions) => {
  const input = inputCode(o.input);
  const views = viewsCode(o.views);
  const params = paramBlock({ n: 'u32', len: 'u32', ...input.fields, ...views.fields });
  const n = input.bindings.length;
  const code = fill(tensor_map, {
    BINDINGS: [
      `alias ACC = ${wgslType(o.input.dtype)};`,
      ...input.bindings,
      `@group(0) @binding(${n}) var<storage, read_write> out: array<${o.outType}>;`,
      input.fn,
    ].join('\n'),
    PARAMS: params.wgsl(n + 1),
    INDEX: views.fns,
    MATH: tensor_math,
    WG: o.wg,
    BODY: `let len = params.len;
  var acc: ACC = ${o.init};
  var at = 0u;
  for (var j = 0u; j < len; j = j + 1u) {
    let v = load_a(i * len + j);
    ${o.step}
  }
  out[i] = ${o.result};`,
  });
  return { code, params };
});

const isShort = (x: Input, axes: number[]) => numel(axes.map((d) => x.shape[d])) <= SHORT_ROW;

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
// A NaN is the extremum of an arg-reduction and its first occurrence wins, as in PyTorch.
const ARG_REDUCTIONS: Record<ArgReduceOp, { init: string; better: '<' | '>' }> = {
  argmax: { init: 'LOWEST', better: '>' },
  argmin: { init: 'HIGHEST', better: '<' },
};
const beats = (better: '<' | '>', float: boolean) =>
  float ? `(v ${better} acc || (is_nan(v) && !is_nan(acc)))` : `v ${better} acc`;

/** A contiguous `[rows, n]` view of a scratch buffer, for the second pass over per-segment results. */
const segmentsView = (buffer: H, rows: number, n: number, dtype: DType): View<H> => ({
  handle: buffer,
  shape: [rows, n],
  strides: [n, 1],
  offset: 0,
  dtype,
});

export function reduceGpu(g: Gpu): { [K in ReduceGroup]: KernelFn<H, K> } {
  const ctx = g.ctx;

  /** sum/max/min over `axes`: split rows reduce their segments first, then the segment results. */
  const reduceRows = (op: ReduceOp, out: OutSpec, x: Input, axes: number[]): H => {
    const r = REDUCTIONS[op];
    if (isShort(x, axes)) return shortRows(g, op, x, axes, out, r.init, r.step(x.dtype === 'f32'), 'acc');
    const { len, rows: nrows } = axesLast(x.shape, axes);
    const { nseg, segLen } = segmentation(g, op, len, 1, nrows);
    const outType = wgslType(out.dtype);
    const body = reduceBody(r.combine, r.tree, r.init);
    if (nseg === 1) {
      const buf = g.alloc(out);
      launchRows(g, op, { x, axes, nseg, segLen, out: buf, outType }, body, x.dtype);
      return buf;
    }
    const partial = ctx.createBuffer(4 * nrows * nseg);
    launchRows(g, op, { x, axes, nseg, segLen, out: partial, outType }, body, x.dtype);
    const buf = reduceRows(op, out, segmentsView(partial, nrows, nseg, out.dtype), [1]);
    ctx.releaseBuffer(partial);
    return buf;
  };

  const reduce =
    (op: ReduceOp): KernelFn<H, ReduceOp> =>
    (out, [x], { axes }) =>
      reduceRows(op, out, x, axes);

  const argReduce =
    (op: ArgReduceOp): KernelFn<H, ArgReduceOp> =>
    (out, [x], { axis }) => {
      const a = ARG_REDUCTIONS[op];
      const float = x.dtype === 'f32';
      if (isShort(x, [axis])) {
        return shortRows(
          g,
          op,
          x,
          [axis],
          out,
          a.init,
          `if (j == 0u || ${beats(a.better, float)}) { acc = v; at = j; }`,
          'i32(at)',
        );
      }
      const { len, rows: nrows } = axesLast(x.shape, [axis]);
      const { nseg, segLen } = segmentation(g, op, len, 1, nrows);
      const buf = g.alloc(out);
      if (nseg === 1) {
        launchRows(
          g,
          op,
          { x, axes: [axis], nseg, segLen, out: buf, outType: 'i32', better: a.better },
          argBody(a.init),
          x.dtype,
        );
        return buf;
      }
      const candidates = ctx.createBuffer(4 * nrows * nseg);
      launchRows(
        g,
        op,
        { x, axes: [axis], nseg, segLen, out: candidates, outType: 'i32', better: a.better },
        argBody(a.init),
        x.dtype,
      );
      launchRows(
        g,
        `${op}_pick`,
        {
          x,
          axes: [axis],
          stats: { buffer: candidates, type: 'i32' },
          nseg: 1,
          segLen: len,
          out: buf,
          outType: 'i32',
          extra: { fields: { nc: 'u32' }, values: { nc: nseg } },
          better: a.better,
        },
        argPickBody(a.init),
        x.dtype,
      );
      ctx.releaseBuffer(candidates);
      return buf;
    };

  /** softmax, log-softmax and the norms: a row statistic, then every element written from it. */
  const programRows =
    <K extends RowProgramOp>(op: K): KernelFn<H, K> =>
    (out, [x], params) => {
      const program = ROW_PROGRAMS[op] as RowProgram<K>;
      const axis = program.axis(params, x.shape.length);
      const { len, rows: nrows } = axesLast(x.shape, [axis]);
      // Whole rows loop twice over the row (statistic, write); split passes once each.
      const { nseg, segLen } = segmentation(g, op, len, 2, nrows);
      const exps = [...program.finish, program.apply];
      const extra: ExtraParams = {
        fields: paramFields(exps, 'row_'),
        values: paramValues(exps, program.params(params), 'row_'),
      };
      const wgsl = rowProgramWgsl(program, (k) => `params.${paramField(k, 'row_')}`);
      const buf = g.alloc(out);
      const pass = {
        x,
        axes: [axis],
        segLen,
        out: buf,
        outType: 'f32',
        keepShape: true,
        extra,
        pair: wgsl.pair,
      };
      if (nseg === 1) {
        launchRows(g, op, { ...pass, nseg }, pairWholeBody(wgsl), 'f32');
        return buf;
      }
      const stats = ctx.createBuffer(8 * nrows * nseg);
      launchRows(
        g,
        `${op}_stats`,
        { ...pass, nseg, out: stats, outType: 'vec2<f32>', keepShape: false },
        pairStatsBody(wgsl),
        'f32',
      );
      launchRows(
        g,
        `${op}_apply`,
        { ...pass, nseg, stats: { buffer: stats, type: 'vec2<f32>' } },
        pairApplyBody(wgsl),
        'f32',
      );
      ctx.releaseBuffer(stats);
      return buf;
    };

  const cumsum: KernelFn<H, 'cumsum'> = (out, [x], { axis }) => {
    const { len, rows: nrows } = axesLast(x.shape, [axis]);
    const wg = rowWidth(g, nrows);
    // Each stride of the scan runs the log2(WG) steps of Hillis–Steele.
    const { nseg, segLen } = segmentation(g, 'cumsum', len, 1 + Math.log2(wg), nrows);
    const outType = wgslType(out.dtype);
    const buf = g.alloc(out);
    const pass = { x, axes: [axis], segLen, out: buf, outType, keepShape: true };
    if (nseg === 1) {
      launchRows(g, 'cumsum', { ...pass, nseg }, cumsumBody, x.dtype);
      return buf;
    }
    const totals = ctx.createBuffer(4 * nrows * nseg);
    const sum = REDUCTIONS.sum;
    launchRows(
      g,
      'sum',
      { ...pass, nseg, out: totals, keepShape: false },
      reduceBody(sum.combine, sum.tree, sum.init),
      x.dtype,
    );
    launchRows(
      g,
      'cumsum_apply',
      { ...pass, nseg, stats: { buffer: totals, type: outType } },
      cumsumApplyBody,
      x.dtype,
    );
    ctx.releaseBuffer(totals);
    return buf;
  };

  return {
    sum: reduce('sum'),
    max: reduce('max'),
    min: reduce('min'),
    argmax: argReduce('argmax'),
    argmin: argReduce('argmin'),
    cumsum,
    softmax: programRows('softmax'),
    log_softmax: programRows('log_softmax'),
    layer_norm: programRows('layer_norm'),
    rms_norm: programRows('rms_norm'),
  };
}
