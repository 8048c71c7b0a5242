import { tensor_matmul } from '@tessera/kernels';
import type { MatmulGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';
import { numel } from '../shape.js';
import { fill } from './codegen.js';
import { chunks, type Gpu } from './gpu.js';

/** A matmul tiling: threads (WGX × WGY) each computing a TM × TN block, stepping K by BK. */
export interface MatmulVariant {
  name: string;
  tm: number;
  tn: number;
  wgx: number;
  wgy: number;
  bk: number;
}

/** 64×64 tiles from 256 threads with 4×4 register blocks: for adapters that allow 256 invocations. */
export const MATMUL_LARGE: MatmulVariant = { name: 'large', tm: 4, tn: 4, wgx: 16, wgy: 16, bk: 16 };
/** 32×32 tiles from 64 threads: fits the WebGPU minimum limits (compatibility mode included). */
export const MATMUL_SMALL: MatmulVariant = { name: 'small', tm: 4, tn: 4, wgx: 8, wgy: 8, bk: 8 };

/** Workgroup memory a variant stages per K step, in bytes. */
export const stagingBytes = (v: MatmulVariant): number => 4 * v.bk * (v.tm * v.wgy + v.tn * v.wgx);

/** The largest variant the adapter's limits allow. */
export function chooseMatmulVariant(
  limits: Pick<
    GPUSupportedLimits,
    'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupStorageSize' | 'maxComputeWorkgroupSizeX'
  >,
): MatmulVariant {
  const fits = (v: MatmulVariant) =>
    v.wgx * v.wgy <= Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX) &&
    stagingBytes(v) <= limits.maxComputeWorkgroupStorageSize;
  return fits(MATMUL_LARGE) ? MATMUL_LARGE : MATMUL_SMALL;
}

/** Loop iterations of one BK step of matmul.wgsl: the two staging loops, the k loop and its inner loops, the step itself. */
export const matmulLoopsPerStep = ({ tm, tn, wgx, wgy, bk }: MatmulVariant): number => {
  const threads = wgx * wgy;
  return (
    Math.ceil((bk * tm * wgy) / threads) +
    Math.ceil((bk * tn * wgx) / threads) +
    bk * (tm + tn + tm * tn + tm) +
    1
  );
};

/** Loop iterations matmul.wgsl runs outside the k loop: clearing and storing the register block, the batch index. */
const matmulFixedLoops = ({ tm, tn }: MatmulVariant, batchRank: number): number =>
  tm * tn + batchRank + tm * (tn + 1);

export function matmulGpu(g: Gpu, force?: MatmulVariant): { [K in MatmulGroup]: KernelFn<GPUBuffer, K> } {
  const variant = force ?? chooseMatmulVariant(g.ctx.limits);
  return {
    matmul: (out, [a, b]) => {
      const r = a.shape.length;
      const [M, K, N] = [a.shape[r - 2], a.shape[r - 1], b.shape[r - 1]];
      const batchShape = out.shape.slice(0, -2);
      const batches = numel(batchShape);
      const tilesM = Math.ceil(M / (variant.tm * variant.wgy));
      const tilesN = Math.ceil(N / (variant.tn * variant.wgx));
      const { tm, tn, wgx, wgy, bk } = variant;
      const label = `tensor/matmul:${variant.name}`;
      const kStep =
        bk * g.stepsPerDispatch(label, matmulLoopsPerStep(variant), matmulFixedLoops(variant, r - 2));
      const buf = g.alloc(out);
      // K = 0 still writes C once (zeros); a K past the loop budget adds one dispatch per slice.
      chunks(K, kStep).forEach(([k0, k1], i) => {
        const words = [
          M,
          N,
          k1,
          tilesM,
          tilesN,
          batches,
          a.offset,
          a.strides[r - 2],
          a.strides[r - 1],
          b.offset,
          b.strides[r - 2],
          b.strides[r - 1],
          k0,
          i > 0 ? 1 : 0,
          ...batchShape,
          ...a.strides.slice(0, -2),
          ...b.strides.slice(0, -2),
        ];
        g.launch({
          key: `matmul:${variant.name}:b${batchShape.length}`,
          label,
          source: () =>
            fill(tensor_matmul, {
              TM: tm,
              TN: tn,
              WGX: wgx,
              WGY: wgy,
              BK: bk,
              BATCH_RANK: batchShape.length,
              PARAMS: g.params(3, words),
            }),
          buffers: [a.handle, b.handle, buf],
          words,
          workgroups: M && N ? tilesM * tilesN * batches : 0,
        });
      });
      return buf;
    },
  };
}
