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
      // Four rows of C at a time: each loaded element of B feeds four accumulations.
      let i = 0;
      for (; i + 4 <= M; i += 4) {
        const r0 = base + i * N;
        const r1 = r0 + N;
        const r2 = r1 + N;
        const r3 = r2 + N;
        for (let k = 0; k < K; k++) {
          const a0 = A[i * K + k];
          const a1 = A[(i + 1) * K + k];
          const a2 = A[(i + 2) * K + k];
          const a3 = A[(i + 3) * K + k];
          const bo = k * N;
          for (let j = 0; j < N; j++) {
            const bv = B[bo + j];
            c[r0 + j] += a0 * bv;
            c[r1 + j] += a1 * bv;
            c[r2 + j] += a2 * bv;
            c[r3 + j] += a3 * bv;
          }
        }
      }
      for (; i < M; i++) {
        const row = base + i * N;
        for (let k = 0; k < K; k++) {
          const av = A[i * K + k];
          const bo = k * N;
          for (let j = 0; j < N; j++) c[row + j] += av * B[bo + j];
        }
      }
    }
    return c;
  },
};
