import type { DType } from '../dtype.js';
import { type Exp, ex } from '../ir/exp.js';
import type { FusedInput, KernelFn, View } from '../opset.js';
import { contiguousStrides, numel } from '../shape.js';
import type { Gpu } from './gpu.js';
import { indexingGpu } from './indexing.js';
import { copy, copyInto, map } from './map.js';
import { reduceGpu } from './reduce.js';

type H = GPUBuffer;

/**
 * Up to this k, topk takes k rounds of a masked max and arg-max (three launches a round, each
 * reading the rows once, in parallel over rows and within each); above it, the stable sort of
 * the whole row and its first k. On llvmpipe a round of 64 rows of 4096 takes ~12 ms and the sort
 * ~460 ms (1024: ~4 ms against ~110 ms; 8 rows of 32,768: ~11 ms against ~580 ms), so rounds win
 * far past 16 there; 16 leaves room for GPUs, where the sort's single workgroup-memory pass is
 * relatively cheaper and each round's launches cost more than their arithmetic.
 */
export const TOPK_ROUNDS = 16;

/** A buffer of the input's shape minus `axis`, read over the input's shape (stride 0 along `axis`). */
function alongRows(handle: H, shape: readonly number[], axis: number, dtype: DType): View<H> {
  const strides = contiguousStrides(shape.filter((_, d) => d !== axis));
  strides.splice(axis, 0, 0);
  return { handle, shape, strides, offset: 0, dtype };
}

/**
 * topk as a composition of existing kernels: small k by rounds of (the best remaining value per
 * row: a max or min over the row with taken elements and NaN masked out; the first position
 * holding it, or a NaN where NaN ranks first, by an arg-max over a score; that position marked
 * taken), large k by the stable sort. Ties go to the lower position and NaN counts as the largest,
 * as the CPU's selection does.
 */
export function topkGpu(g: Gpu): { topk: KernelFn<H, 'topk'> } {
  const reduce = reduceGpu(g);
  const sort = indexingGpu(g).argsort;
  const topk: KernelFn<H, 'topk'> = (out, [x], { axis, k, largest }) => {
    if (numel(out.shape) === 0) return g.alloc(out);
    if (k > TOPK_ROUNDS) {
      const sorted = sort({ shape: x.shape, dtype: 'i32' }, [x], { axis, descending: largest });
      const first = copy(g, { handle: sorted, ...out, strides: contiguousStrides(x.shape), offset: 0 });
      g.ctx.releaseBuffer(sorted);
      return first;
    }
    const { shape, dtype } = x;
    const rowShape = shape.filter((_, d) => d !== axis);
    const n = shape[axis];
    const inner = numel(shape.slice(axis + 1));
    const float = dtype === 'f32';
    // Sources: 0 the input, 1 the taken mask (u8), 2 the best value of each row.
    const v = ex.input(0, dtype);
    const taken = ex.input(1, 'u8');
    const best = ex.input(2, dtype);
    const u8 = (c: number) => ex.const(c, 'u8');
    const isNan = float ? ex.alu('isnan', v) : u8(0);
    const worst = float ? (largest ? -Infinity : Infinity) : extremeOf(dtype, !largest);
    const candidate = ex.alu('where', ex.alu('maximum', taken, isNan), ex.const(worst, dtype), v);
    const i32 = (c: number) => ex.const(c, 'i32');
    // 2 for the best value, NaN 3 when largest (it ranks first) and 1 when smallest (only once
    // nothing else is left); an arg-max takes the first position of the highest score.
    const score = ex.alu(
      'where',
      taken,
      i32(0),
      ex.alu('where', isNan, i32(largest ? 3 : 1), ex.alu('where', ex.alu('eq', v, best), i32(2), i32(0))),
    );
    // The element's position along `axis`, from its row-major index.
    const position = ex.alu('fmod', ex.alu('div', ex.index(), ex.const(inner, 'u32')), ex.const(n, 'u32'));
    const fused = (exp: Exp, sources: View<H>[]): FusedInput<H> => ({
      shape,
      dtype: exp.dtype,
      exp,
      sources,
      params: [],
    });
    let mask = map(g, [u8(0)], shape, [], [])[0];
    const picks: H[] = [];
    for (let r = 0; r < k; r++) {
      const maskView: View<H> = {
        handle: mask,
        shape,
        strides: contiguousStrides(shape),
        offset: 0,
        dtype: 'u8',
      };
      const rowSpec = { shape: rowShape, dtype };
      const top = (largest ? reduce.max : reduce.min)(rowSpec, [fused(candidate, [x, maskView])], {
        axes: [axis],
      });
      const pick = reduce.argmax(
        { shape: rowShape, dtype: 'i32' },
        [fused(score, [x, maskView, alongRows(top, shape, axis, dtype)])],
        { axis },
      );
      g.ctx.releaseBuffer(top);
      picks.push(pick);
      if (r + 1 < k) {
        const hit = ex.alu('eq', position, ex.cast(ex.input(1, 'i32'), 'u32'));
        const next = map(
          g,
          [ex.alu('maximum', ex.input(0, 'u8'), hit)],
          shape,
          [maskView, alongRows(pick, shape, axis, 'i32')],
          [],
        )[0];
        g.ctx.releaseBuffer(mask);
        mask = next;
      }
    }
    g.ctx.releaseBuffer(mask);
    const result = g.alloc(out);
    const outStrides = contiguousStrides(out.shape);
    const pickShape = shape.map((d, i) => (i === axis ? 1 : d));
    picks.forEach((pick, r) => {
      const from = {
        handle: pick,
        shape: pickShape,
        strides: contiguousStrides(pickShape),
        offset: 0,
        dtype: 'i32' as const,
      };
      copyInto(g, from, {
        buffer: result,
        dtype: 'i32',
        view: { strides: outStrides, offset: r * outStrides[axis] },
      });
      g.ctx.releaseBuffer(pick);
    });
    return result;
  };
  return { topk };
}

const extremeOf = (dtype: DType, highest: boolean): number =>
  dtype === 'i32' ? (highest ? 2 ** 31 - 1 : -(2 ** 31)) : highest ? (dtype === 'u8' ? 255 : 2 ** 32 - 1) : 0;
