import type { AttentionGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';
import { copyOut, placeContiguous } from './arena.js';
import { ATTENTION, call, partsFor, ranges, runCalls } from './calls.js';
import type { KernelRuntime } from './module.js';

/** Ints of csrc/attention.c's AttentionArgs. */
const ARGS = 17;

/**
 * Fused attention over csrc/attention.c: q, k, v (and the padding mask and document ids, as
 * ints) are copied contiguous into the arena, the query rows split between threads, each thread
 * with Sk floats of scratch for its scores.
 */
export function wasmAttention(rt: KernelRuntime): { [K in AttentionGroup]: KernelFn<Float32Array, K> } {
  const { arena } = rt;
  return {
    attention: (_out, [q, k, v, ...extra], { scale, causal, window, qOffset, padded, segmented }) => {
      const [B, H, Sq, D] = q.shape;
      const [, Hkv, Sk] = k.shape;
      const Dv = v.shape[3];
      const rows = B * H * Sq;
      if (rows * Dv === 0) return new Float32Array(rows * Dv);
      arena.reset();
      const mask = padded ? extra[0] : undefined;
      const seg = segmented ? extra[padded ? 1 : 0] : undefined;
      const o = arena.alloc(rows * Dv * 4);
      const args = arena.alloc(ARGS * 4);
      const words = [
        placeContiguous(arena, q, 'f32'),
        placeContiguous(arena, k, 'f32'),
        placeContiguous(arena, v, 'f32'),
        o,
        B,
        H,
        Hkv,
        Sq,
        Sk,
        D,
        Dv,
        0, // scale, written as a float below
        causal ? 1 : 0,
        window,
        qOffset,
        mask ? placeContiguous(arena, mask, 'i32') : 0,
        seg ? placeContiguous(arena, seg, 'i32') : 0,
      ];
      new Int32Array(arena.memory.buffer, args, ARGS).set(words);
      new Float32Array(arena.memory.buffer, args + 11 * 4, 1)[0] = scale;
      const perRow = 2 * Sk * (D + Dv);
      const calls = ranges(rows, partsFor(rt, rows * perRow), 1).map(([start, count]) =>
        call(ATTENTION, [args, start, count], count * perRow, Sk * 4),
      );
      runCalls(rt, calls);
      return copyOut(arena.f32(o, rows * Dv));
    },
  };
}
