import { rowOffsets } from '../cpu/reduce.js';
import type { CpuView } from '../cpu/strided.js';
import type { KernelFn } from '../opset.js';
import { isContiguous, numel } from '../shape.js';
import { type Call, call, NORM, partsFor, ranges, runCalls, SOFTMAX } from './calls.js';
import type { KernelRuntime } from './module.js';

type RowOp = 'softmax' | 'log_softmax' | 'layer_norm' | 'rms_norm';

/**
 * Softmax, log-softmax, layer norm and RMS norm over csrc/rows.c: the rows along the axis are
 * gathered contiguous into the arena (one memcpy when they already are), normalised in place,
 * split into ranges of rows between threads, and scattered back into the input's layout.
 */
export function wasmRows(rt: KernelRuntime): { [K in RowOp]: KernelFn<Float32Array, K> } {
  // Runs `routine` on the rows along `axis`, its arguments (x, y, rows, len, ...extra).
  const run = (x: CpuView, axis: number, routine: number, extra: number[]) => {
    const n = numel(x.shape);
    const len = x.shape[axis];
    if (n === 0) return new Float32Array(0);
    const rows = n / len;
    const { arena } = rt;
    arena.reset();
    const ptr = arena.alloc(n * 4);
    const buf = arena.f32(ptr, n);
    const src = x.handle as Float32Array;
    const direct = axis === x.shape.length - 1 && isContiguous(x.shape, x.strides);
    const map = direct ? null : rowOffsets(x, axis);
    if (map) for (let i = 0; i < n; i++) buf[i] = src[map.src[i]];
    else buf.set(src.subarray(x.offset, x.offset + n));
    // About 8 flops an element (an exp is a dozen, a norm's two passes a handful).
    const calls: Call[] = ranges(rows, partsFor(rt, n * 8), 1).map(([r0, count]) => {
      const p = ptr + r0 * len * 4;
      return call(routine, [p, p, count, len, ...extra], count * len * 8);
    });
    runCalls(rt, calls);
    const res = arena.f32(ptr, n);
    if (!map) return res.slice();
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[map.dst[i]] = res[i];
    return out;
  };
  const f32Bits = (v: number) => new Int32Array(new Float32Array([v]).buffer)[0];
  return {
    softmax: (_o, [x], { axis }) => run(x, axis, SOFTMAX, [0]),
    log_softmax: (_o, [x], { axis }) => run(x, axis, SOFTMAX, [1]),
    layer_norm: (_o, [x], { eps }) => run(x, x.shape.length - 1, NORM, [f32Bits(eps), 1]),
    rms_norm: (_o, [x], { eps }) => run(x, x.shape.length - 1, NORM, [f32Bits(eps), 0]),
  };
}
