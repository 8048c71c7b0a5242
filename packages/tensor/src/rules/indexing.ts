import { fmt, ShapeError } from '../errors.js';
import type { IndexingGroup, SelectionGroup } from '../opgroups.js';
import { zerosLike } from '../ops/creation.js';
import { gather, indexAdd, indexSelect, scatterAdd } from '../ops/indexing.js';
import { pad } from '../ops/movement.js';
import type { Tensor } from '../tensor.js';
import { needDType, needRank, sameDType } from './check.js';
import type { KernelRules } from './types.js';

/** Throws unless `small` fits inside `big` on every dim (but `except`). */
function fitsIn(
  op: string,
  small: Tensor,
  smallName: string,
  big: Tensor,
  bigName: string,
  except = -1,
): void {
  if (small.rank !== big.rank || small.shape.some((d, i) => i !== except && d > big.shape[i])) {
    const but = except >= 0 ? ` (except along axis ${except})` : '';
    throw new ShapeError(
      `${op}: ${smallName} ${fmt(small.shape)} must have the rank of ${bigName} ${fmt(big.shape)} and no larger dims${but}`,
    );
  }
}

const NONDIFF_INDEX = 'returns integer indices, which have no gradient';
/** Dtypes the scatter-adds accumulate (the GPU has atomic adds for 32-bit words only; bool sums make no sense). */
const ADDABLE = ['f32', 'i32', 'u32'] as const;

export const indexingRules: KernelRules<IndexingGroup> = {
  gather: {
    infer: ([x, index], { axis }) => {
      needRank('gather', x, 'input', { atLeast: 1 });
      needDType('gather', index, 'index', ['i32']);
      fitsIn('gather', index, 'index', x, 'input', axis);
      return { shape: index.shape, dtype: x.dtype };
    },
    grad: (g, { inputs: [x, index], params: { axis } }) => [scatterAdd(zerosLike(x), axis, index, g), null],
  },
  scatter_add: {
    infer: ([x, index, src], { axis }) => {
      needRank('scatter_add', x, 'input', { atLeast: 1 });
      needDType('scatter_add', index, 'index', ['i32']);
      needDType('scatter_add', x, 'input', ADDABLE);
      sameDType('scatter_add', [x, src], ['input', 'src']);
      fitsIn('scatter_add', index, 'index', src, 'src');
      fitsIn('scatter_add', index, 'index', x, 'input', axis);
      return { shape: x.shape, dtype: x.dtype };
    },
    // src elements outside the index's extent were not added anywhere: their gradient is zero.
    grad: (g, { inputs: [, index, src], params: { axis }, needs }) => {
      if (!needs[2]) return [g, null, null];
      const picked = gather(g, axis, index);
      const rest = src.shape.map((d, i) => [0, d - index.shape[i]] as [number, number]).reverse();
      return [g, null, rest.some(([, e]) => e > 0) ? pad(picked, rest) : picked];
    },
  },
  index_select: {
    infer: ([x, index], { axis }) => {
      needRank('index_select', x, 'input', { atLeast: 1 });
      needDType('index_select', index, 'index', ['i32']);
      needRank('index_select', index, 'index', { exactly: 1 });
      return { shape: x.shape.map((d, i) => (i === axis ? index.shape[0] : d)), dtype: x.dtype };
    },
    grad: (g, { inputs: [x, index], params: { axis } }) => [indexAdd(zerosLike(x), axis, index, g), null],
  },
  index_add: {
    infer: ([x, index, src], { axis }) => {
      needRank('index_add', x, 'input', { atLeast: 1 });
      needDType('index_add', index, 'index', ['i32']);
      needRank('index_add', index, 'index', { exactly: 1 });
      needDType('index_add', x, 'input', ADDABLE);
      sameDType('index_add', [x, src], ['input', 'src']);
      const want = x.shape.map((d, i) => (i === axis ? index.shape[0] : d));
      if (src.rank !== x.rank || src.shape.some((d, i) => d !== want[i])) {
        throw new ShapeError(`index_add: src must have shape ${fmt(want)}, got ${fmt(src.shape)}`);
      }
      return { shape: x.shape, dtype: x.dtype };
    },
    grad: (g, { inputs: [, index], params: { axis }, needs }) => [
      g,
      null,
      needs[2] ? indexSelect(g, axis, index) : null,
    ],
  },
  one_hot: {
    infer: ([index], { classes }) => {
      needDType('one_hot', index, 'index', ['i32']);
      if (!Number.isInteger(classes) || classes <= 0)
        throw new RangeError(`one_hot: classes must be a positive integer, got ${classes}`);
      return { shape: [...index.shape, classes], dtype: 'i32' };
    },
    grad: { nondifferentiable: NONDIFF_INDEX },
  },
  argsort: {
    infer: ([x]) => {
      needRank('argsort', x, 'input', { atLeast: 1 });
      return { shape: x.shape, dtype: 'i32' };
    },
    grad: { nondifferentiable: NONDIFF_INDEX },
  },
};

export const selectionRules: KernelRules<SelectionGroup> = {
  topk: {
    infer: ([x], { axis, k }) => {
      needRank('topk', x, 'input', { atLeast: 1 });
      if (!Number.isInteger(k) || k < 0 || k > x.shape[axis]) {
        throw new RangeError(
          `topk: k must be an integer in [0, ${x.shape[axis]}] for dim ${axis} of size ${x.shape[axis]}, got ${k}`,
        );
      }
      return { shape: x.shape.map((d, i) => (i === axis ? k : d)), dtype: 'i32' };
    },
    grad: { nondifferentiable: NONDIFF_INDEX },
  },
};
