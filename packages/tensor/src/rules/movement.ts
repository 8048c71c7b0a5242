import { apply } from '../apply.js';
import { fmt, ShapeError } from '../errors.js';
import { permute, reshape, split } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import { contiguousStrides, numel } from '../shape.js';
import { sameDType } from './check.js';
import type { KernelRules, MapRules, ViewRule } from './types.js';

export const viewRules: { [K in 'reshape' | 'permute' | 'expand' | 'slice']: ViewRule<K> } = {
  reshape: {
    infer: ([x], { shape }) => {
      if (numel(shape) !== x.size)
        throw new ShapeError(
          `reshape: ${fmt(x.shape)} has ${x.size} elements, ${fmt(shape)} has ${numel(shape)}`,
        );
      if (!x.isContiguous)
        throw new ShapeError('reshape: the input view must be contiguous (call contiguous() first)');
      return { shape, dtype: x.dtype };
    },
    view: (x, { shape }) => ({ strides: contiguousStrides(shape), offset: x.offset }),
    grad: (g, { inputs: [x] }) => [reshape(g, [...x.shape])],
  },
  permute: {
    infer: ([x], { dims }) => ({ shape: dims.map((d) => x.shape[d]), dtype: x.dtype }),
    view: (x, { dims }) => ({ strides: dims.map((d) => x.strides[d]), offset: x.offset }),
    grad: (g, { params: { dims } }) => {
      const inverse = new Array<number>(dims.length);
      dims.forEach((d, i) => {
        inverse[d] = i;
      });
      return [permute(g, inverse)];
    },
  },
  expand: {
    infer: ([x], { shape }) => {
      const lead = shape.length - x.rank;
      const ok = lead >= 0 && x.shape.every((d, i) => d === shape[lead + i] || d === 1);
      if (!ok) throw new ShapeError(`expand: cannot broadcast shape ${fmt(x.shape)} to ${fmt(shape)}`);
      return { shape, dtype: x.dtype };
    },
    view: (x, { shape }) => {
      const lead = shape.length - x.rank;
      return {
        strides: shape.map((d, i) =>
          i < lead || (x.shape[i - lead] === 1 && d !== 1) ? 0 : x.strides[i - lead],
        ),
        offset: x.offset,
      };
    },
    grad: (g, { inputs: [x], params: { shape } }) => {
      const lead = shape.length - x.rank;
      const axes = shape
        .map((_, i) => i)
        .filter((i) => i < lead || (x.shape[i - lead] === 1 && shape[i] !== 1));
      return [reshape(sum(g, axes), [...x.shape])];
    },
  },
  slice: {
    infer: ([x], { shape }) => ({ shape, dtype: x.dtype }),
    view: (x, { starts, steps }) => ({
      strides: x.strides.map((s, d) => s * steps[d]),
      offset: x.offset + starts.reduce((acc, s, d) => acc + s * x.strides[d], 0),
    }),
    grad: (g, { inputs: [x], params: { starts, steps } }) => [
      apply('unslice', [g], { starts, steps, shape: [...x.shape] }),
    ],
  },
};

export const copyRules: MapRules<'contiguous'> = {
  contiguous: {
    infer: ([x]) => ({ shape: x.shape, dtype: x.dtype }),
    exp: ([x]) => x,
    grad: (g) => [g],
  },
};

export const movementRules: KernelRules<'concat' | 'pad' | 'unslice'> = {
  concat: {
    infer: (xs, { axis }) => {
      const dtype = sameDType(
        'concat',
        xs,
        xs.map((_, i) => `tensors[${i}]`),
      );
      const first = xs[0].shape;
      for (const [i, t] of xs.entries()) {
        if (t.rank !== first.length || t.shape.some((d, k) => k !== axis && d !== first[k])) {
          throw new ShapeError(
            `concat: tensors[${i}] has shape ${fmt(t.shape)}, expected ${fmt(first)} except along axis ${axis}`,
          );
        }
      }
      const shape = [...first];
      shape[axis] = xs.reduce((s, t) => s + t.shape[axis], 0);
      return { shape, dtype };
    },
    grad: (g, { inputs, params: { axis } }) =>
      split(
        g,
        inputs.map((t) => t.shape[axis]),
        axis,
      ),
  },
  pad: {
    infer: ([x], { before, after }) => ({
      shape: x.shape.map((d, i) => d + before[i] + after[i]),
      dtype: x.dtype,
    }),
    grad: (g, { inputs: [x], params: { before } }) => [
      apply('slice', [g], { starts: before, steps: before.map(() => 1), shape: [...x.shape] }),
    ],
  },
  unslice: {
    infer: ([x], { starts, steps, shape }) => {
      const fits = x.shape.every((d, i) => d === 0 || starts[i] + (d - 1) * steps[i] < shape[i]);
      if (!fits || x.rank !== shape.length)
        throw new ShapeError(`unslice: ${fmt(x.shape)} does not fit in ${fmt(shape)}`);
      return { shape, dtype: x.dtype };
    },
    grad: (g, { inputs: [x], params: { starts, steps } }) => [
      apply('slice', [g], { starts, steps, shape: [...x.shape] }),
    ],
  },
};
