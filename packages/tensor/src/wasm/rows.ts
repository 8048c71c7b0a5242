import { rowOffsets } from '../cpu/reduce.js';
import type { CpuView } from '../cpu/strided.js';
import { allocArray } from '../dtype.js';
import { runMap } from '../ir/js.js';
import type { FusedInput, KernelFn } from '../opset.js';
import { contiguousStrides, isContiguous, numel } from '../shape.js';
import { copyOut } from './arena.js';
import { type Call, call, NORM, partsFor, ranges, runCalls, SOFTMAX } from './calls.js';
import type { KernelRuntime } from './module.js';

type RowOp = 'softmax' | 'log_softmax' | 'layer_norm' | 'rms_norm';

/**
 * Softmax, log-softmax, layer norm and RMS norm over csrc/rows.c: the rows along the axis are
 * gathered contiguous into the arena (one memcpy when they already are; a fused elementwise input
 * is computed straight into it), normalised in place, split into ranges of rows between threads,
 * and scattered back into the input's layout.
 */
export function wasmRows(rt: KernelRuntime): { [K in RowOp]: KernelFn<Float32Array, K> } {
  // Runs `routine` on the rows along `axis`, its arguments (x, y, rows, len, ...extra).
  const run = (input: CpuView | FusedInput<Float32Array>, axis: number, routine: number, extra: number[]) => {
    const n = numel(input.shape);
    const len = input.shape[axis];
    if (n === 0) return new Float32Array(0);
    const rows = n / len;
    const last = axis === input.shape.length - 1;
    const { arena } = rt;
    arena.reset();
    const ptr = arena.alloc(n * 4);
    const buf = arena.f32(ptr, n);
    // A fused input along the last axis is computed into the arena; along another, into a view.
    if ('exp' in input && last)
      runMap([input.exp], [buf], input.shape, [...input.sources], [...input.params]);
    const x = 'exp' in input ? (last ? null : computed(input)) : input;
    const map = x && !(last && isContiguous(x.shape, x.strides)) ? rowOffsets(x, axis) : null;
    const src = x?.handle as Float32Array;
    if (map) for (let i = 0; i < n; i++) buf[i] = src[map.src[i]];
    else if (x) buf.set(src.subarray(x.offset, x.offset + n));
    // About 8 flops an element (an exp is a dozen, a norm's two passes a handful).
    const calls: Call[] = ranges(rows, partsFor(rt, n * 8), 1).map(([r0, count]) => {
      const p = ptr + r0 * len * 4;
      return call(routine, [p, p, count, len, ...extra], count * len * 8);
    });
    runCalls(rt, calls);
    const res = arena.f32(ptr, n);
    if (!map) return copyOut(res);
    const out = allocArray('f32', n) as Float32Array;
    for (let i = 0; i < n; i++) out[map.dst[i]] = res[i];
    return out;
  };
  const computed = (f: FusedInput<Float32Array>): CpuView => {
    const handle = allocArray('f32', numel(f.shape)) as Float32Array;
    runMap([f.exp], [handle], f.shape, [...f.sources], [...f.params]);
    return { handle, shape: f.shape, strides: contiguousStrides(f.shape), offset: 0, dtype: f.dtype };
  };
  const f32Bits = (v: number) => new Int32Array(new Float32Array([v]).buffer)[0];
  return {
    softmax: (_o, [x], { axis }) => run(x, axis, SOFTMAX, [0]),
    log_softmax: (_o, [x], { axis }) => run(x, axis, SOFTMAX, [1]),
    layer_norm: (_o, [x], { eps }) => run(x, x.shape.length - 1, NORM, [f32Bits(eps), 1]),
    rms_norm: (_o, [x], { eps }) => run(x, x.shape.length - 1, NORM, [f32Bits(eps), 0]),
  };
}
