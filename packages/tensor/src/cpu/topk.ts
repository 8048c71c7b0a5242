import type { TypedArray } from '../dtype.js';
import type { KernelFn } from '../opset.js';
import { contiguousStrides, numel } from '../shape.js';
import { compare } from './indexing.js';
import { groupedOffsets, rowOffsets } from './reduce.js';

type H = TypedArray;

/**
 * Indices of the k first elements of each row along `axis` in the order `largest` asks for (NaN
 * largest, −0 equal to +0, ties by position), by selection: a heap of the k best seen so far, its
 * worst on top, then the k sorted: O(n log k) a row, where a sort would take O(n log n).
 */
export const topkCpu: { topk: KernelFn<H, 'topk'> } = {
  topk: (out, [x], { axis, k, largest }) => {
    const r = new Int32Array(numel(out.shape));
    const len = x.shape[axis];
    if (r.length === 0) return r;
    const { src: offs } = rowOffsets(x, axis);
    const dst = groupedOffsets(
      { handle: r, shape: out.shape, strides: contiguousStrides(out.shape), offset: 0, dtype: 'i32' },
      [axis],
    ).offs;
    const row = new Float64Array(len);
    const sign = largest ? -1 : 1;
    // Whether element p of the row comes before element q.
    const before = (p: number, q: number) => {
      const c = sign * compare(row[p], row[q]);
      return c < 0 || (c === 0 && p < q);
    };
    const heap = new Int32Array(k);
    const siftDown = (size: number) => {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) return;
        const worse = l + 1 < size && before(heap[l], heap[l + 1]) ? l + 1 : l;
        if (!before(heap[i], heap[worse])) return;
        [heap[i], heap[worse]] = [heap[worse], heap[i]];
        i = worse;
      }
    };
    const siftUp = (at: number) => {
      let i = at;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!before(heap[p], heap[i])) return;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    };
    for (let o = 0; o * len < offs.length; o++) {
      for (let j = 0; j < len; j++) row[j] = x.handle[offs[o * len + j]];
      let size = 0;
      for (let j = 0; j < len; j++) {
        if (size < k) {
          heap[size] = j;
          siftUp(size++);
        } else if (before(j, heap[0])) {
          heap[0] = j;
          siftDown(k);
        }
      }
      const best = Array.from(heap).sort((p, q) => (before(p, q) ? -1 : 1));
      for (let j = 0; j < k; j++) r[dst[o * k + j]] = best[j];
    }
    return r;
  },
};
