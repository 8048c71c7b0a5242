// Every WebGPU matmul variant against the CPU reference: the register-tiled kernel with each block
// size and each way of loading A and B (vec4 along K, vec4 along M/N, scalar), the GEMV path
// (M ≤ 8), the workgroup-tiled kernel; on shapes crossing every block edge, padded, transposed,
// misaligned, batched and broadcast operands, K cut into slices by a capped loop budget, NaN and ±inf.
import { afterAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { Gpu } from '../src/webgpu/gpu.js';
import type { WebGPUBackend } from '../src/webgpu/index.js';
import {
  chooseMatmulVariant,
  chooseWorkgroupTiling,
  MATMUL_LARGE,
  MATMUL_SMALL,
  type MatmulProblem,
  type MatmulVariant,
  matmulGpu,
  matmulProblem,
  type OperandLoad,
  type RegisterTiling,
  vectorLoads,
} from '../src/webgpu/matmul.js';
import { registerFixedLoops } from '../src/webgpu/matmul-registers.js';
import { expectClose, gpuBackend, randomArray, rng } from './helpers.js';

const gpu = (await gpuBackend()) as WebGPUBackend | undefined;

/** A contiguous, aligned layout of an [M, K] or [K, N] operand with no batch dims. */
const rowMajor = (outer: number, k: number) => ({ offset: 0, outer, k, batch: [] });
const problem = (M: number, K: number, N: number, over: Partial<MatmulProblem> = {}): MatmulProblem => ({
  M,
  N,
  K,
  batches: 1,
  a: rowMajor(K, 1),
  b: rowMajor(1, N),
  ...over,
});

describe('matmul variant selection', () => {
  it('computes as many rows per invocation as M needs, up to 8 (the GEMV path for M ≤ 8)', () => {
    const rows = [1, 2, 3, 4, 5, 8, 9, 4096].map(
      (M) => (chooseMatmulVariant(problem(M, 64, 64)) as RegisterTiling).tm,
    );
    expect(rows).toEqual([1, 2, 4, 4, 8, 8, 8, 8]);
  });

  it('computes four columns per invocation when N ≤ 4, and uses small workgroups for few blocks', () => {
    const pick = (M: number, N: number, batches = 1) => {
      const v = chooseMatmulVariant(problem(M, 64, N, { batches })) as RegisterTiling;
      return [v.tn, v.wg];
    };
    expect(pick(64, 4)).toEqual([4, 16]);
    expect(pick(64, 5)).toEqual([8, 16]);
    // 4 × 64 blocks of 8 × 8: four workgroups of 64.
    expect(pick(256, 64)).toEqual([8, 64]);
    expect(pick(248, 64)).toEqual([8, 16]);
    // Batches count: 31 or 32 matrices of 8 blocks.
    expect(pick(8, 64, 31)).toEqual([8, 16]);
    expect(pick(8, 64, 32)).toEqual([8, 64]);
  });

  it('loads vec4s along the contiguous dimension of aligned operands, scalars otherwise', () => {
    const loads = (p: MatmulProblem) => {
      const v = chooseMatmulVariant(p) as RegisterTiling;
      return [v.a, v.b];
    };
    // x @ W, x @ Wᵀ (linear), Aᵀ @ B (a weight gradient).
    expect(loads(problem(16, 64, 32))).toEqual(['vec4-k', 'vec4-mn']);
    expect(loads(problem(16, 64, 32, { b: rowMajor(64, 1) }))).toEqual(['vec4-k', 'vec4-k']);
    expect(loads(problem(16, 64, 32, { a: rowMajor(1, 16) }))).toEqual(['vec4-mn', 'vec4-mn']);
    // Aᵀ with fewer than four rows per invocation cannot take four rows per load.
    expect(loads(problem(2, 64, 32, { a: rowMajor(1, 2) }))).toEqual(['scalar', 'vec4-mn']);
    // Odd row strides (K = 63), an offset off the 16-byte grid, a batch stride off it.
    expect(loads(problem(16, 63, 33))).toEqual(['scalar', 'scalar']);
    expect(loads(problem(16, 64, 32, { a: { ...rowMajor(64, 1), offset: 2 } }))).toEqual([
      'scalar',
      'vec4-mn',
    ]);
    expect(
      loads(
        problem(16, 64, 32, {
          batches: 2,
          a: { ...rowMajor(64, 1), batch: [1026] },
          b: { ...rowMajor(1, 32), batch: [0] },
        }),
      ),
    ).toEqual(['scalar', 'vec4-mn']);
  });

  it('ignores the stride of a dimension of size 1', () => {
    expect(vectorLoads(rowMajor(4097, 1), 1, 4096)).toEqual(['vec4-k']);
    expect(vectorLoads(rowMajor(4097, 1), 2, 4096)).toEqual([]);
    expect(vectorLoads({ offset: 0, outer: 4, k: 7, batch: [] }, 8, 1)).toEqual(['vec4-k']);
    expect(vectorLoads({ offset: 0, outer: 1, k: 7, batch: [] }, 8, 1)).toEqual(['vec4-mn']);
    // A broadcast (stride 0) along a longer dimension reads one element for all of it.
    expect(vectorLoads({ offset: 0, outer: 0, k: 1, batch: [] }, 8, 16)).toEqual(['vec4-k']);
    expect(vectorLoads({ offset: 0, outer: 1, k: 0, batch: [] }, 8, 16)).toEqual(['vec4-mn']);
  });

  it('sizes the workgroup-tiled kernel from the adapter limits', () => {
    const limits = {
      maxComputeInvocationsPerWorkgroup: 256,
      maxComputeWorkgroupStorageSize: 16384,
      maxComputeWorkgroupSizeX: 256,
    };
    expect(chooseWorkgroupTiling(limits)).toBe(MATMUL_LARGE);
    expect(chooseWorkgroupTiling({ ...limits, maxComputeInvocationsPerWorkgroup: 128 })).toBe(MATMUL_SMALL);
    expect(chooseWorkgroupTiling({ ...limits, maxComputeWorkgroupStorageSize: 4096 })).toBe(MATMUL_SMALL);
  });
});

/**
 * How an operand lies in memory. `rows`: row-major, rows padded to a multiple of four (vec4 loads
 * along its last dim fit); `cols`: the transpose of such a tensor (vec4 loads along its first dim
 * fit); `odd`: row-major with an odd row stride at offset 1 (only scalar loads fit). Padding is NaN,
 * so a kernel that sums a padding element or stores a lane past the edge fails the comparison.
 */
type Layout = 'rows' | 'cols' | 'odd';

/** `data` ([...batch, r, c], row-major) as a `layout` view on `backend`. */
function lay(
  data: number[],
  batch: number[],
  r: number,
  c: number,
  layout: Layout,
  backend: T.Backend,
): T.Tensor {
  const nb = batch.reduce((x, y) => x * y, 1);
  const [outer, inner] = layout === 'cols' ? [c, r] : [r, c];
  const stride = layout === 'odd' ? inner + (inner % 2 === 0 ? 1 : 2) : 4 * Math.ceil((inner + 1) / 4);
  const lead = layout === 'odd' ? 1 : 0;
  const store = new Array(lead + nb * outer * stride).fill(Number.NaN);
  for (let b = 0; b < nb; b++)
    for (let i = 0; i < r; i++)
      for (let j = 0; j < c; j++) {
        const [o, n] = layout === 'cols' ? [j, i] : [i, j];
        store[lead + (b * outer + o) * stride + n] = data[(b * r + i) * c + j];
      }
  const flat = T.narrow(T.tensor(store, { backend }), 0, lead, nb * outer * stride);
  const padded = T.narrow(T.reshape(flat, [...batch, outer, stride]), -1, 0, inner);
  return layout === 'cols' ? T.transpose(padded) : padded;
}

/** The loads a layout allows for A ([M, K]) and B ([K, N]). */
const loadOf: Record<'a' | 'b', Record<Layout, OperandLoad>> = {
  a: { rows: 'vec4-k', cols: 'vec4-mn', odd: 'scalar' },
  b: { rows: 'vec4-mn', cols: 'vec4-k', odd: 'scalar' },
};

const view = (t: T.Tensor) => ({
  handle: t.storage.handle as GPUBuffer,
  shape: t.shape,
  strides: t.strides,
  offset: t.offset,
  dtype: t.dtype,
});

describe.skipIf(!gpu)('matmul variants on WebGPU against the CPU reference', async () => {
  const g = gpu as WebGPUBackend;
  // 16 loop iterations per invocation: the register-tiled kernel sums K in slices of 48 (44 batched).
  const capped = g ? await T.createWebGPUBackend({ loopBudget: 16 }) : undefined;
  afterAll(() => capped?.ctx.destroy());
  const r = rng(12);

  /**
   * A [...batchA, M, K] @ [...batchB, K, N] on `backend` through `choose`, compared with the CPU
   * backend on the same values; returns the variant that ran.
   */
  async function check(
    backend: WebGPUBackend,
    choose: (p: MatmulProblem) => MatmulVariant,
    [M, K, N]: number[],
    [la, lb]: [Layout, Layout],
    { batchA = [] as number[], batchB = [] as number[], a = [] as number[], b = [] as number[] } = {},
  ): Promise<MatmulVariant> {
    const na = batchA.reduce((x, y) => x * y, 1);
    const nb = batchB.reduce((x, y) => x * y, 1);
    const ad = a.length ? a : randomArray(r, na * M * K);
    const bd = b.length ? b : randomArray(r, nb * K * N);
    let ran: MatmulVariant | undefined;
    const kernel = matmulGpu(new Gpu(backend.ctx), (p) => {
      ran = choose(p);
      return ran;
    }).kernels.matmul;
    // Broadcast batch dims as the matmul op hands them to kernels: expanded views (stride 0).
    const batch = batchA.map((s, d) => Math.max(s, batchB[d]));
    const x = T.expand(lay(ad, batchA, M, K, la, backend), [...batch, M, K]);
    const y = T.expand(lay(bd, batchB, K, N, lb, backend), [...batch, K, N]);
    const size = batch.reduce((p, q) => p * q, 1) * M * N;
    const buf = kernel({ shape: [...batch, M, N], dtype: 'f32' }, [view(x), view(y)], {});
    const got = new Float32Array(await backend.ctx.read(buf, Math.max(4, size * 4))).slice(0, size);
    backend.free(buf);
    const cpu = T.cpuBackend;
    const want = await T.matmul(
      T.tensor(ad, { shape: [...batchA, M, K], backend: cpu }),
      T.tensor(bd, { shape: [...batchB, K, N], backend: cpu }),
    ).data();
    expectClose(got, want, 1e-4, 1e-5, `${JSON.stringify(ran)} ${M}x${K}x${N} ${la}/${lb}`);
    return ran as MatmulVariant;
  }

  const force =
    (over: Partial<RegisterTiling>) =>
    (p: MatmulProblem): MatmulVariant => ({ ...(chooseMatmulVariant(p) as RegisterTiling), ...over });

  it('the GEMV path and every block height, M = 1..9, on K and N around the vec4 and block edges', async () => {
    const tms: number[] = [];
    for (let M = 1; M <= 9; M++) {
      for (const [K, N] of [
        [1, 7],
        [13, 9],
        [16, 17],
      ]) {
        const v = (await check(g, chooseMatmulVariant, [M, K, N], ['rows', 'rows'])) as RegisterTiling;
        tms.push(v.tm);
      }
    }
    expect(new Set(tms)).toEqual(new Set([1, 2, 4, 8]));
    // GEMV against a transposed weight (x @ Wᵀ) and against a misaligned one.
    for (const lb of ['cols', 'odd'] as Layout[])
      await check(g, chooseMatmulVariant, [1, 37, 21], ['rows', lb]);
  });

  it('every load of A and B, with every block size, across block edges', async () => {
    const layouts: Layout[] = ['rows', 'cols', 'odd'];
    const tiles = [
      { tm: 8, tn: 8 },
      { tm: 4, tn: 16 },
      { tm: 2, tn: 4 },
    ] as const;
    const tally = new Map<string, number>();
    for (const [ia, la] of layouts.entries())
      for (const [ib, lb] of layouts.entries()) {
        // Each pair of loads on one block size, each block size on three pairs; four rows per load
        // (a column-major A) need at least four rows per invocation.
        const tile = la === 'cols' ? tiles[ib % 2] : tiles[(ia + ib) % 3];
        const over = { ...tile, a: loadOf.a[la], b: loadOf.b[lb] };
        for (const shape of [
          [9, 13, 17],
          [tile.tm + 1, 8, tile.tn - 1],
          [3, 5, 2],
        ]) {
          const v = (await check(g, force(over), shape, [la, lb])) as RegisterTiling;
          const key = `${v.a}/${v.b}`;
          tally.set(key, (tally.get(key) ?? 0) + 1);
        }
        // The default choice takes the vec4 loads the layout allows.
        const [x, y] = [lay(randomArray(r, 96), [], 8, 12, la, g), lay(randomArray(r, 96), [], 12, 8, lb, g)];
        const chosen = chooseMatmulVariant(matmulProblem(view(x), view(y))) as RegisterTiling;
        expect([chosen.a, chosen.b]).toEqual([loadOf.a[la], loadOf.b[lb]]);
      }
    // Nine pairs of loads, each on three shapes.
    expect([...tally.values()]).toEqual(new Array(9).fill(3));
  });

  it('batched and broadcast operands, for vec4 and scalar loads', async () => {
    for (const [la, lb] of [
      ['rows', 'rows'],
      ['cols', 'cols'],
      ['odd', 'rows'],
    ] as [Layout, Layout][]) {
      await check(g, chooseMatmulVariant, [5, 9, 11], [la, lb], { batchA: [2, 1], batchB: [2, 3] });
      await check(g, chooseMatmulVariant, [1, 16, 12], [la, lb], { batchA: [3], batchB: [1] });
    }
  });

  it('K cut into slices by a capped loop budget, each slice adding to C', async () => {
    const c = capped as WebGPUBackend;
    for (const batchRank of [0, 1]) {
      const kStep = 4 * (16 - registerFixedLoops(batchRank));
      for (const [la, lb] of [
        ['rows', 'cols'],
        ['odd', 'odd'],
      ] as [Layout, Layout][]) {
        const K = 2 * kStep + 5;
        const before = c.ctx.dispatches;
        const batch = batchRank ? { batchA: [2], batchB: [2] } : {};
        await check(c, chooseMatmulVariant, [3, K, 10], [la, lb], batch);
        expect(c.ctx.dispatches - before).toBe(3);
      }
    }
  });

  it('NaN and ±inf propagate as in the CPU reference', async () => {
    const [M, K, N] = [6, 9, 10];
    const a = randomArray(r, M * K);
    const b = randomArray(r, K * N);
    a[2 * K + 3] = Number.NaN;
    a[4 * K] = Number.POSITIVE_INFINITY;
    b[1 * N + 4] = Number.NEGATIVE_INFINITY;
    b[8 * N + 9] = Number.POSITIVE_INFINITY;
    b[2] = 0; // inf · 0 at row 4, column 2
    const kinds: [(p: MatmulProblem) => MatmulVariant, MatmulVariant['kind']][] = [
      [chooseMatmulVariant, 'registers'],
      [force({ a: 'scalar', b: 'scalar' }), 'registers'],
      [() => MATMUL_SMALL, 'workgroup'],
    ];
    for (const [choose, kind] of kinds)
      for (const lb of ['rows', 'cols'] as Layout[]) {
        const v = await check(g, choose, [M, K, N], ['rows', lb], { a, b });
        expect(v.kind).toBe(kind);
      }
  });

  it('the workgroup-tiled kernel, both sizes', async () => {
    for (const v of [MATMUL_LARGE, MATMUL_SMALL])
      for (const shape of [
        [33, 17, 65],
        [64, 64, 64],
        [70, 9, 1],
      ])
        await check(g, () => v, shape, ['cols', 'odd'], { batchA: [2], batchB: [2] });
  });
});
