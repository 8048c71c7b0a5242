import type { TypedArray } from '../dtype.js';
import type { MatmulGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';
import { numel } from '../shape.js';
import { offsets } from './strided.js';

type H = TypedArray;

export const matmulCpu: { [K in MatmulGroup]: KernelFn<H, K> } = {
  matmul: (out, [a, b]) => {
    const r = a.shape.length;
    const [M, K, N] = [a.shape[r - 2], a.shape[r - 1], b.shape[r - 1]];
    const batchShape = out.shape.slice(0, -2);
    const batches = numel(batchShape);
    const c = new Float32Array(batches * M * N);
    // Batch start offsets of each operand (stride 0 where a batch dim is broadcast).
    const aBase = offsets({ shape: batchShape, strides: a.strides.slice(0, -2), offset: a.offset });
    const bBase = offsets({ shape: batchShape, strides: b.strides.slice(0, -2), offset: b.offset });
    const A = new Float32Array(M * K);
    const B = new Float32Array(K * N);
    const [sam, sak, sbk, sbn] = [a.strides[r - 2], a.strides[r - 1], b.strides[r - 2], b.strides[r - 1]];
    for (let bt = 0; bt < batches; bt++) {
      // Pack both operands row-major once, then run the cache-friendly i-k-j loop on them.
      for (let i = 0; i < M; i++)
        for (let k = 0; k < K; k++) A[i * K + k] = a.handle[aBase[bt] + i * sam + k * sak];
      for (let k = 0; k < K; k++)
        for (let j = 0; j < N; j++) B[k * N + j] = b.handle[bBase[bt] + k * sbk + j * sbn];
      const base = bt * M * N;
      for (let i = 0; i < M; i++) {
        const row = base + i * N;
        for (let k = 0; k < K; k++) {
          const av = A[i * K + k];
          if (av === 0) continue;
          const bo = k * N;
          for (let j = 0; j < N; j++) c[row + j] += av * B[bo + j];
        }
      }
    }
    return c;
  },
};
