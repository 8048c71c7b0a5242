// The fused 4-bit matmuls over reduction lengths past the adapter's loop budget (Mesa's llvmpipe, the
// CI adapter, stops an invocation's loops after 65,535 iterations in all: the tiled GEMM summed only
// part of a K of 300,000 before). At the adapter's own budget with long K and a long input-gradient
// reduction (R = N, as for a quantized vocabulary head), and with a capped budget that makes every
// size split, on any adapter. Compared with the CPU reference of the same op. (The GEMV steps over
// 512 codes per loop iteration once llvmpipe unrolls its inner loop, so it only splits past
// K ≈ 33M at the adapter's budget: the capped cases test its slices.)
import * as T from '@tessera/tensor';
import { afterAll, describe, it } from 'vitest';
import { backends, expectClose } from '../../nn/test/helpers.js';
import { matmul4, quantizeTensor } from '../src/index.js';
import { rng } from './random.js';

const gpu = (await backends()).find(([name]) => name === 'webgpu')?.[1];

/** y = x · Wᵀ (or, with `trans`, g · W) for random x and a random NF4 W [n, k], on `backend`. */
async function product(
  backend: T.Backend,
  [m, n, k]: [number, number, number],
  opts: { trans?: boolean } = {},
): Promise<Float32Array> {
  const r = rng(m * 31 + n * 7 + k);
  const w = Float32Array.from({ length: n * k }, () => 2 * r() - 1);
  const cols = opts.trans ? n : k;
  const x = Float32Array.from({ length: m * cols }, () => 2 * r() - 1);
  const qw = await quantizeTensor(T.tensor(w, { shape: [n, k], backend }), { type: 'nf4' });
  const xt = T.tensor(x, { shape: [m, cols], backend });
  if (!opts.trans) return (await matmul4(xt, qw).data()) as Float32Array;
  // The input gradient of y = z · Wᵀ at upstream gradient x is x · W: the transposed kernel.
  const z = T.zeros([m, k], { backend }).requireGrad();
  const [, [grad]] = T.valueAndGrad((zz: T.Tensor) => T.sum(T.mul(matmul4(zz, qw), xt)))(z);
  return (await grad.data()) as Float32Array;
}

// f32 sums of 10^5–10^6 products of magnitude <= 1, summed in another order than the CPU's.
const ATOL = 2e-3;

describe.skipIf(!gpu)("fused 4-bit matmul at the adapter's own loop budget", () => {
  const g = gpu as T.Backend;
  it.each([
    ['GEMM, K = 300,000', [2, 3, 300_000], false],
    ['input gradient, R = N = 150,000', [2, 150_000, 8], true],
  ] as const)('%s equals the CPU reference', async (_name, shape, trans) => {
    const got = await product(g, [...shape], { trans });
    const want = await product(T.cpuBackend, [...shape], { trans });
    expectClose(got, want, 1e-4, ATOL, 'product');
  });
});

describe.skipIf(!gpu)('fused 4-bit matmul with a capped loop budget (every size split)', async () => {
  // 2,000 iterations: the GEMM sums R in slices of 64, the GEMV K in slices of 14,208 (aligned)
  // or 1,920 (unaligned).
  const capped = gpu ? await T.createWebGPUBackend({ loopBudget: 2_000 }) : undefined;
  afterAll(() => capped?.ctx.destroy());
  it.each([
    ['GEMM', [3, 5, 333], false],
    ['GEMV, aligned', [1, 4, 40_000], false],
    ['GEMV, unaligned', [1, 3, 5_001], false],
    ['input gradient', [3, 301, 7], true],
  ] as const)('%s equals the CPU reference', async (_name, shape, trans) => {
    const got = await product(capped as T.Backend, [...shape], { trans });
    const want = await product(T.cpuBackend, [...shape], { trans });
    expectClose(got, want, 1e-4, 1e-4, 'product');
  });
});
