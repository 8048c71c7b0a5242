import type { KernelParams } from '../opset.js';
import type { AluOp } from './alu.js';
import { type Exp, ex, walk } from './exp.js';

/** Row ops defined as {@link RowProgram}s: each normalizes a row from a statistic of the whole row. */
export type RowProgramOp = 'softmax' | 'log_softmax' | 'layer_norm' | 'rms_norm';

/**
 * How per-element statistics (pairs) combine over a row. Each backend implements these few
 * combinations by hand, as it does sum and max; the arithmetic around them is IR.
 * - `sum`: both components add.
 * - `online-softmax`: the pair is (value, weight); the row's pair is (m, Σ weight·exp(value − m))
 *   with m the largest value (NaN spreading), so Σ exp never overflows. Backends may combine in one
 *   pass (rescaling as the maximum grows) or two (maximum first); the result differs by rounding.
 */
export type RowCombine = 'sum' | 'online-softmax';

/** Leaves a {@link RowProgram}'s expressions read, as `acc` slots (the row element is input slot 0). */
export const ROW = {
  /** Components of the row's combined statistic. */
  statX: 0,
  statY: 1,
  /** The row's length, as f32. */
  len: 2,
  /** The row's first element (a shift that keeps moments from cancelling). */
  first: 3,
  /** `finish[i]` is slot `finish + i`. */
  finish: 4,
} as const;

/**
 * A row op in three IR pieces around one hand-written combination: `point` maps each element `v`
 * to a pair, `combine` merges the pairs of the row, `finish` computes per-row values from the merged
 * pair (once per row), and `apply` writes each element from `v` and those values. Params
 * (`param` slots) come from the op's kernel params through `params`.
 */
export interface RowProgram<K extends RowProgramOp = RowProgramOp> {
  readonly combine: RowCombine;
  /** Starting pair of the combination (its identity). */
  readonly init: readonly [number, number];
  readonly point: readonly [Exp, Exp];
  readonly finish: readonly Exp[];
  readonly apply: Exp;
  /** The param slots' values, from the op's kernel params. */
  params(p: KernelParams[K]): number[];
  /** The axis the rows run along, for an input of rank `rank`. */
  axis(p: KernelParams[K], rank: number): number;
}

const f = (v: number) => ex.const(v, 'f32');
const v = ex.input(0, 'f32');
const acc = (slot: number) => ex.acc(slot, 'f32');
const op = (name: AluOp, ...src: Exp[]) => ex.alu(name, ...src);
const [statX, statY, len, first] = [acc(ROW.statX), acc(ROW.statY), acc(ROW.len), acc(ROW.first)];
const fin = (i: number) => acc(ROW.finish + i);
const eps = ex.param(0, 'f32');

const softmax = (log: boolean): RowProgram<'softmax' | 'log_softmax'> => ({
  combine: 'online-softmax',
  init: [Number.NEGATIVE_INFINITY, 0],
  point: [v, f(1)],
  // (v − max) − log Σ, in that order: max + log Σ would round log Σ away next to a huge max.
  finish: [log ? op('log', statY) : op('div', f(1), statY)],
  apply: log ? op('sub', op('sub', v, statX), fin(0)) : op('mul', op('exp', op('sub', v, statX)), fin(0)),
  params: () => [],
  axis: ({ axis }) => axis,
});

// Moments about the row's first element, which keeps E[d²] − E[d]² from cancelling when
// |mean| ≫ std. maximum keeps a NaN variance (a row with ±inf) NaN, as PyTorch does.
const d = op('sub', v, first);
const meanShift = op('div', statX, len);
const layerNorm: RowProgram<'layer_norm'> = {
  combine: 'sum',
  init: [0, 0],
  point: [d, op('mul', d, d)],
  finish: [
    op('add', first, meanShift),
    op(
      'rsqrt',
      op('add', op('maximum', op('sub', op('div', statY, len), op('mul', meanShift, meanShift)), f(0)), eps),
    ),
  ],
  // + 0 turns a −0 into +0, as PyTorch's x̂·weight + bias with a zero bias.
  apply: op('add', op('mul', op('sub', v, fin(0)), fin(1)), f(0)),
  params: ({ eps }) => [eps],
  // Over the last dim: a normalized shape of several dims arrives flattened into it.
  axis: (_, rank) => rank - 1,
};

const rmsNorm: RowProgram<'rms_norm'> = {
  combine: 'sum',
  init: [0, 0],
  point: [op('mul', v, v), f(0)],
  finish: [op('rsqrt', op('add', op('div', statX, len), eps))],
  apply: op('mul', v, fin(0)),
  params: ({ eps }) => [eps],
  // Over the last dim: a normalized shape of several dims arrives flattened into it.
  axis: (_, rank) => rank - 1,
};

/** The definition of every row op: each backend renders its kernel from these. */
export const ROW_PROGRAMS: { readonly [K in RowProgramOp]: RowProgram<K> } = {
  softmax: softmax(false),
  log_softmax: softmax(true),
  layer_norm: layerNorm,
  rms_norm: rmsNorm,
};

/** Whether an expression of a row program reads the row's first element. */
export function readsFirst(p: RowProgram): boolean {
  let reads = false;
  walk([...p.point, ...p.finish, p.apply], (e) => {
    if (e.op === 'acc' && e.arg === ROW.first) reads = true;
  });
  return reads;
}
