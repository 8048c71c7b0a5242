import { offsets } from '../cpu/strided.js';
import type { MatmulGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';
import { numel } from '../shape.js';
import type { Placed } from './arena.js';
import type { KernelRuntime } from './module.js';

// Record layout of csrc/calls.c's table.
const SGEMM = 0;
const SGEMV = 1;
const RECORD = 13;
/** Register-tile height and width of csrc/gemm.c: row and column splits between threads are multiples. */
const MR = 6;
const NR = 8;
/** A thread's share below this many flops costs more in waking it than it saves. */
const MIN_SHARE_FLOPS = 1 << 20;

/** One product for a thread to run: csrc/calls.c's record (scratch filled in per thread) and its cost. */
interface Call {
  record: number[];
  flops: number;
}

/**
 * The matmul kernel over the C routines: both operands are copied into the arena once (keeping
 * their strides, so transposed and batch-broadcast views need no repacking in JavaScript); each
 * batch is an `sgemm` — or an `sgemv` when one side is a single row or column, which streams the
 * matrix instead of packing it — split by rows or columns, or whole batches, between threads; the
 * product is copied out.
 */
export function wasmMatmul(rt: KernelRuntime): KernelFn<Float32Array, MatmulGroup> {
  const { exports: wasm, arena, pool } = rt;
  const threads = pool?.threads ?? 1;
  const scratchBytes = wasm.sgemm_scratch_floats() * 4;
  return (out, [a, b]) => {
    const r = a.shape.length;
    const [M, K, N] = [a.shape[r - 2], a.shape[r - 1], b.shape[r - 1]];
    const batchShape = out.shape.slice(0, -2);
    const batches = numel(batchShape);
    const size = batches * M * N;
    if (size === 0) return new Float32Array(0);
    arena.reset();
    const pa = arena.place(a);
    const pb = arena.place(b);
    const c = arena.alloc(size * 4);
    const aBase = batchOffsets(pa, batchShape);
    const bBase = batchOffsets(pb, batchShape);
    const [sam, sak] = pa.strides.slice(-2);
    const [sbk, sbn] = pb.strides.slice(-2);
    const flops = 2 * M * N * K;
    // Split single products only when there are fewer batches than threads.
    const parts =
      batches >= threads ? 1 : Math.max(1, Math.min(threads, Math.floor(flops / MIN_SHARE_FLOPS)));
    const calls: Call[] = [];
    for (let bt = 0; bt < batches; bt++) {
      const ap = pa.ptr + aBase[bt] * 4;
      const bp = pb.ptr + bBase[bt] * 4;
      const cp = c + bt * M * N * 4;
      if (M === 1 && gemvReads(sak, sbk, sbn)) {
        // A row times B: column ranges of B.
        for (const [j, n] of ranges(N, parts, 4))
          calls.push(gemv(n, K, ap, sak, bp + j * sbn * 4, sbk, sbn, cp + j * 4));
      } else if (N === 1 && gemvReads(sbk, sak, sam)) {
        // B's column times Aᵀ: row ranges of A.
        for (const [i, m] of ranges(M, parts, 4))
          calls.push(gemv(m, K, bp, sbk, ap + i * sam * 4, sak, sam, cp + i * 4));
      } else if (N >= M) {
        for (const [j, n] of ranges(N, parts, NR))
          calls.push(gemm(M, n, K, ap, sam, sak, bp + j * sbn * 4, sbk, sbn, cp + j * 4, N));
      } else {
        for (const [i, m] of ranges(M, parts, MR))
          calls.push(gemm(m, N, K, ap + i * sam * 4, sam, sak, bp, sbk, sbn, cp + i * N * 4, N));
      }
    }
    const groups = balance(calls, threads);
    const scratch = arena.alloc(scratchBytes * groups.length);
    const table = arena.alloc(calls.length * RECORD * 4);
    const words = new Int32Array(arena.memory.buffer, table, calls.length * RECORD);
    const slices: [number, number][] = [];
    let at = 0;
    for (const [g, group] of groups.entries()) {
      slices.push([table + at * RECORD * 4, group.length]);
      for (const call of group) {
        if (call.record[0] === SGEMM) call.record[12] = scratch + g * scratchBytes;
        words.set(call.record, at++ * RECORD);
      }
    }
    if (pool && slices.length > 1) pool.run(slices, wasm.run_calls);
    else wasm.run_calls(table, calls.length);
    return arena.f32(c, size).slice();
  };
}

/** Whether sgemv reads this layout of x (stride incx) and B (rsb, csb) in place (csrc/gemv.c). */
const gemvReads = (incx: number, rsb: number, csb: number): boolean => csb === 1 || (rsb === 1 && incx === 1);

const gemv = (
  n: number,
  k: number,
  x: number,
  incx: number,
  b: number,
  rsb: number,
  csb: number,
  y: number,
) => ({
  record: [SGEMV, n, k, x, incx, b, rsb, csb, y, 0, 0, 0, 0],
  flops: 2 * n * k,
});

const gemm = (
  m: number,
  n: number,
  k: number,
  ...rest: [a: number, rsa: number, csa: number, b: number, rsb: number, csb: number, c: number, ldc: number]
): Call => ({ record: [SGEMM, m, n, k, ...rest, 0], flops: 2 * m * n * k });

/** `[start, length]` ranges splitting `n` into up to `parts`, each (but the last) a multiple of `unit`. */
function ranges(n: number, parts: number, unit: number): [number, number][] {
  const step = Math.max(unit, Math.ceil(n / parts / unit) * unit);
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += step) out.push([s, Math.min(step, n - s)]);
  return out;
}

/** Consecutive runs of `calls` with about equal flops, at most `threads` of them. */
function balance(calls: Call[], threads: number): Call[][] {
  const total = calls.reduce((s, c) => s + c.flops, 0);
  const groups: Call[][] = [[]];
  let acc = 0;
  for (const call of calls) {
    const g = groups[groups.length - 1];
    if (g.length > 0 && groups.length < threads && acc >= (total * groups.length) / threads)
      groups.push([call]);
    else g.push(call);
    acc += call.flops;
  }
  return groups;
}

/** Element offset (from `p.ptr`) of each batch's matrix, row-major over the batch dims. */
function batchOffsets(p: Placed, batchShape: number[]): Int32Array {
  const strides = p.strides.slice(0, batchShape.length);
  return offsets({ shape: batchShape, strides, offset: p.offset });
}
