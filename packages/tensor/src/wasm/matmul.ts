import { offsets } from '../cpu/strided.js';
import type { MatmulGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';
import { numel } from '../shape.js';
import type { Placed } from './arena.js';
import { copyOut } from './arena.js';
import { type Call, call, partsFor, ranges, runCalls, SGEMM, SGEMM_DOTS, SGEMV } from './calls.js';
import type { KernelRuntime } from './module.js';

/** Register-tile height and width of csrc/gemm.c: row and column splits between threads are multiples. */
const MR = 6;
const NR = 8;
/**
 * Up to this many rows of A, a product with a column-major B (a transposed weight) runs as dot
 * products (csrc/gemv.c's sgemm_dots), which read B M/4 times, instead of packing B: packing costs
 * as much as ~30 rows of dot products at K = N = 4096.
 */
const DOTS_MAX_ROWS = 16;

/**
 * The matmul kernel over the C routines: both operands are copied into the arena once (keeping
 * their strides, so transposed and batch-broadcast views need no repacking in JavaScript); each
 * batch is an `sgemm` — or an `sgemv` when one side is a single row or column, or dot products
 * for a few rows against a transposed B, which stream the matrix instead of packing it — split by
 * rows or columns (products) or whole batches between threads; the product is copied out.
 */
export function wasmMatmul(rt: KernelRuntime): KernelFn<Float32Array, MatmulGroup> {
  const { arena } = rt;
  const threads = rt.pool?.threads ?? 1;
  const scratch = rt.exports.sgemm_scratch_floats() * 4;
  const gemm = (m: number, n: number, k: number, ...args: number[]): Call =>
    call(SGEMM, [m, n, k, ...args], 2 * m * n * k, scratch);
  return (out, [a, b]) => {
    const r = a.shape.length;
    const [M, K, N] = [a.shape[r - 2], a.shape[r - 1], b.shape[r - 1]];
    const batchShape = out.shape.slice(0, -2);
    const batches = numel(batchShape);
    const size = batches * M * N;
    if (size === 0) return new Float32Array(0);
    const [pa, pb] = arena.operands([a, b]);
    const c = arena.alloc(size * 4);
    const aBase = batchOffsets(pa, batchShape);
    const bBase = batchOffsets(pb, batchShape);
    const [sam, sak] = pa.strides.slice(-2);
    const [sbk, sbn] = pb.strides.slice(-2);
    // Split single products only when there are fewer batches than threads.
    const parts = batches >= threads ? 1 : partsFor(rt, 2 * M * N * K);
    const calls: Call[] = [];
    for (let bt = 0; bt < batches; bt++) {
      const ap = pa.ptr + aBase[bt] * 4;
      const bp = pb.ptr + bBase[bt] * 4;
      const cp = c + bt * M * N * 4;
      // A vector product splits by output elements: each thread streams its own columns of B.
      if (M === 1 && gemvReads(sak, sbk, sbn)) {
        for (const [j, n] of ranges(N, parts, 4))
          calls.push(gemv(n, K, ap, sak, bp + j * sbn * 4, sbk, sbn, cp + j * 4));
      } else if (N === 1 && gemvReads(sbk, sak, sam)) {
        // B's column times Aᵀ.
        for (const [i, m] of ranges(M, parts, 4))
          calls.push(gemv(m, K, bp, sbk, ap + i * sam * 4, sak, sam, cp + i * 4));
      } else if (M <= DOTS_MAX_ROWS && sbk === 1 && sak === 1) {
        for (const [j, n] of ranges(N, parts, 2))
          calls.push(
            call(SGEMM_DOTS, [M, n, K, ap, sam, bp + j * sbn * 4, sbn, cp + j * 4, N], 2 * M * n * K),
          );
      } else if (N >= M) {
        for (const [j, n] of ranges(N, parts, NR))
          calls.push(gemm(M, n, K, ap, sam, sak, bp + j * sbn * 4, sbk, sbn, cp + j * 4, N));
      } else {
        for (const [i, m] of ranges(M, parts, MR))
          calls.push(gemm(m, N, K, ap + i * sam * 4, sam, sak, bp, sbk, sbn, cp + i * N * 4, N));
      }
    }
    runCalls(rt, calls);
    return copyOut(arena.f32(c, size));
  };
}

/** Whether sgemv reads this layout of x (stride incx) and B (rsb, csb) in place (csrc/gemv.c). */
const gemvReads = (incx: number, rsb: number, csb: number): boolean => csb === 1 || (rsb === 1 && incx === 1);

const gemv = (n: number, k: number, ...args: number[]): Call => call(SGEMV, [n, k, ...args], 2 * n * k);

/** Element offset (from `p.ptr`) of each batch's matrix, row-major over the batch dims. */
function batchOffsets(p: Placed, batchShape: number[]): Int32Array {
  const strides = p.strides.slice(0, batchShape.length);
  return offsets({ shape: batchShape, strides, offset: p.offset });
}
