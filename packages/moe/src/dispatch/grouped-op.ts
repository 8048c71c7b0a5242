import {
  moe_grouped_matmul,
  moe_grouped_matmul_tiled,
  moe_grouped_outer,
  moe_grouped_outer_tiled,
} from '@tessera/kernels';
import * as T from '@tessera/tensor';

// Grouped GEMM over rows sorted by expert (MegaBlocks' dropless layout): each row is multiplied by
// its own expert's weight, so every expert runs in one launch whatever E is, and no row is padded.

/** Parameters of the grouped matmul: out rows × m from x rows × k and each row's expert's w [m, k]. */
const MATMUL_FIELDS = {
  rows: 'u32',
  m: 'u32',
  k: 'u32',
  k0: 'u32',
  k1: 'u32',
  accumulate: 'u32',
  x_offset: 'u32',
  w_offset: 'u32',
  grp_offset: 'u32',
  w_group: 'u32',
  w_m: 'u32',
  w_k: 'u32',
} as const;

/** Parameters of the grouped outer product: per expert, Σ over its rows of u ⊗ v. */
const OUTER_FIELDS = {
  experts: 'u32',
  a: 'u32',
  b: 'u32',
  r0: 'u32',
  r1: 'u32',
  accumulate: 'u32',
  u_offset: 'u32',
  v_offset: 'u32',
  offsets_offset: 'u32',
} as const;

const matmulKernel = T.specialize(({ wg }: { wg: number }) => {
  const params = T.paramBlock(MATMUL_FIELDS);
  return { code: T.fill(moe_grouped_matmul, { PARAMS: params.wgsl(4), WG: wg }), params };
});

const outerKernel = T.specialize(({ wg }: { wg: number }) => {
  const params = T.paramBlock(OUTER_FIELDS);
  return { code: T.fill(moe_grouped_outer, { PARAMS: params.wgsl(4), WG: wg }), params };
});

// The tiled kernels compute 32 × 32 output tiles, 64 threads each holding 4 × 4 in registers, over
// slices of 16 staged in workgroup memory (the constants of their WGSL).
const TILE = 32;
const SLICE = 16;
/**
 * Loop iterations one k (or row) of a tiled kernel costs per invocation, counted as
 * `stepsPerDispatch` wants them: the two staging loops (TILE·SLICE / 64 iterations each per slice)
 * and the register block's loops (1 + 4 + 4 + 4·(1 + 4)) per k, spread over the slice.
 */
const TILED_PER_STEP = (2 * (TILE * SLICE)) / 64 / SLICE + 29;

const matmulTiledKernel = T.specialize(() => {
  const params = T.paramBlock({ ...MATMUL_FIELDS, tiles_n: 'u32' });
  return { code: T.fill(moe_grouped_matmul_tiled, { PARAMS: params.wgsl(4) }), params };
});

const outerTiledKernel = T.specialize(() => {
  const params = T.paramBlock({ ...OUTER_FIELDS, tiles_a: 'u32', tiles_b: 'u32' });
  return { code: T.fill(moe_grouped_outer_tiled, { PARAMS: params.wgsl(4) }), params };
});

/**
 * Steps (k, or rows) per dispatch of a tiled kernel whose main loop runs `repeats` times, or 0 when
 * the per-element kernel runs instead: when experts average fewer than a tile's 32 rows (`rows` over
 * `experts`), where a tile spans several experts and its staged weights serve few rows (measured
 * slower than the per-element kernel on llvmpipe at 8 and 16 rows an expert), or when the adapter's
 * loop budget does not allow a whole slice.
 */
function tiledSteps(gpu: T.Gpu, rows: number, experts: number, repeats: number, fixed: number): number {
  if (rows < TILE * experts) return 0;
  const budget = gpu.ctx.loopBudget;
  if (budget === Number.POSITIVE_INFINITY) return budget;
  const steps = Math.floor((budget - fixed) / (repeats * TILED_PER_STEP));
  return steps >= SLICE ? steps : 0;
}

/** `trans` false: w is [E, M, K]; true: w is [E, K, M] (read transposed). */
interface MatmulParams {
  trans: boolean;
}

/**
 * out [N, M]: row r of x [N, K] times expert group[r]'s weight, out[r] = w[group[r]] · x[r]
 * (w [E, M, K]), or w[group[r]]ᵀ · x[r] with `trans` (w [E, K, M]). Inputs contiguous; group i32
 * [N] and offsets i32 [E + 1] (group e holds rows offsets[e] .. offsets[e + 1]) describe the same
 * sorted rows: the forward reads `group`, the weight gradient `offsets`.
 */
const groupedMatmulOp: (inputs: readonly T.Tensor[], params: MatmulParams) => T.Tensor =
  T.defineOp<MatmulParams>({
    name: 'moe/grouped_matmul',
    infer: ([x, w], { trans }) => ({ shape: [x.shape[0], trans ? w.shape[2] : w.shape[1]], dtype: 'f32' }),
    grad: (g, { inputs: [x, w, group, offsets], params: { trans }, needs }) => {
      const gc = T.contiguous(g);
      return [
        needs[0] ? groupedMatmulOp([gc, w, group, offsets], { trans: !trans }) : null,
        // d w[e, m, k] = Σ_{r in e} g[r, m] · x[r, k]; transposed weights take the outer product the other way.
        needs[1] ? (trans ? groupedOuterOp([x, gc, offsets]) : groupedOuterOp([gc, x, offsets])) : null,
        null,
        null,
      ];
    },
    kernels: {
      cpu: (out, [x, w, group], { trans }) => {
        const [rows, m] = out.shape;
        const [, A, B] = w.shape;
        const k = x.shape[1];
        const [wm, wk] = trans ? [1, B] : [B, 1];
        const y = new Float32Array(rows * m);
        for (let r = 0; r < rows; r++) {
          const wb = w.offset + group.handle[group.offset + r] * A * B;
          for (let j = 0; j < m; j++) {
            let s = 0;
            for (let i = 0; i < k; i++) s += x.handle[x.offset + r * k + i] * w.handle[wb + j * wm + i * wk];
            y[r * m + j] = Math.fround(s);
          }
        }
        return y;
      },
      webgpu(gpu, out, [x, w, group], { trans }) {
        const [rows, m] = out.shape;
        const [E, A, B] = w.shape;
        const k = x.shape[1];
        const buf = gpu.alloc(out);
        const common = {
          rows,
          m,
          k,
          x_offset: x.offset,
          w_offset: w.offset,
          grp_offset: group.offset,
          w_group: A * B,
          w_m: trans ? 1 : B,
          w_k: trans ? B : 1,
        };
        // A tile runs its k loop once per expert among its rows (at most one per row), and scans
        // its rows for the next expert after each.
        const repeats = Math.min(TILE, E);
        const tiled = tiledSteps(gpu, rows, E, repeats, repeats * TILE + 2 * TILE);
        if (tiled > 0) {
          const tilesN = Math.ceil(m / TILE);
          for (const [k0, k1] of T.chunks(k, tiled)) {
            gpu.dispatch({
              kernel: matmulTiledKernel({}),
              label: 'moe/grouped_matmul',
              buffers: [x.handle, w.handle, group.handle, buf],
              params: { ...common, k0, k1, accumulate: k0 > 0 ? 1 : 0, tiles_n: tilesN },
              workgroups: Math.ceil(rows / TILE) * tilesN,
            });
          }
          return buf;
        }
        const steps = gpu.stepsPerDispatch('moe/grouped_matmul', 1);
        for (const [k0, k1] of T.chunks(k, steps)) {
          gpu.dispatch({
            kernel: matmulKernel({ wg: gpu.wg }),
            label: 'moe/grouped_matmul',
            buffers: [x.handle, w.handle, group.handle, buf],
            params: { ...common, k0, k1, accumulate: k0 > 0 ? 1 : 0 },
            workgroups: Math.ceil((rows * m) / gpu.wg),
          });
        }
        return buf;
      },
    },
  });

/** out [E, A, B] = Σ_{r in group e} u[r, a] · v[r, b] for u [N, A], v [N, B], offsets i32 [E + 1]. */
const groupedOuterOp = (inputs: readonly T.Tensor[]): T.Tensor => outerOp(inputs, undefined);
const outerOp = T.defineOp<undefined>({
  name: 'moe/grouped_outer',
  infer: ([u, v, offsets]) => ({ shape: [offsets.shape[0] - 1, u.shape[1], v.shape[1]], dtype: 'f32' }),
  grad: { nondifferentiable: 'the weight gradient of a grouped matmul is not differentiated again' },
  kernels: {
    cpu: (out, [u, v, offsets]) => {
      const [E, A, B] = out.shape;
      const y = new Float32Array(E * A * B);
      for (let e = 0; e < E; e++) {
        const [r0, r1] = [offsets.handle[offsets.offset + e], offsets.handle[offsets.offset + e + 1]];
        for (let a = 0; a < A; a++)
          for (let b = 0; b < B; b++) {
            let s = 0;
            for (let r = r0; r < r1; r++)
              s += u.handle[u.offset + r * A + a] * v.handle[v.offset + r * B + b];
            y[(e * A + a) * B + b] = Math.fround(s);
          }
      }
      return y;
    },
    webgpu(gpu, out, [u, v, offsets]) {
      const [E, A, B] = out.shape;
      const rows = u.shape[0];
      const buf = gpu.alloc(out);
      const common = {
        experts: E,
        a: A,
        b: B,
        u_offset: u.offset,
        v_offset: v.offset,
        offsets_offset: offsets.offset,
      };
      // A group holds at most every row; its length is on the device, so split by that bound.
      const tiled = tiledSteps(gpu, rows, E, 1, 2 * TILE);
      if (tiled > 0) {
        const [tilesA, tilesB] = [Math.ceil(A / TILE), Math.ceil(B / TILE)];
        for (const [r0, r1] of T.chunks(rows, tiled)) {
          gpu.dispatch({
            kernel: outerTiledKernel({}),
            label: 'moe/grouped_outer',
            buffers: [u.handle, v.handle, offsets.handle, buf],
            params: { ...common, r0, r1, accumulate: r0 > 0 ? 1 : 0, tiles_a: tilesA, tiles_b: tilesB },
            workgroups: E * tilesA * tilesB,
          });
        }
        return buf;
      }
      const steps = gpu.stepsPerDispatch('moe/grouped_outer', 1);
      for (const [r0, r1] of T.chunks(rows, steps)) {
        gpu.dispatch({
          kernel: outerKernel({ wg: gpu.wg }),
          label: 'moe/grouped_outer',
          buffers: [u.handle, v.handle, offsets.handle, buf],
          params: { ...common, r0, r1, accumulate: r0 > 0 ? 1 : 0 },
          workgroups: Math.ceil((E * A * B) / gpu.wg),
        });
      }
      return buf;
    },
  },
});

/**
 * Rows of x [N, K] sorted by expert, each times its expert's weight w [E, M, K] (nn.Linear's
 * layout per expert): [N, M]. `group` i32 [N] is each row's expert, `offsets` i32 [E + 1] where
 * each expert's rows begin. Differentiable in x and w.
 */
export function groupedMatmul(x: T.Tensor, w: T.Tensor, group: T.Tensor, offsets: T.Tensor): T.Tensor {
  return groupedMatmulOp([T.contiguous(x), T.contiguous(w), T.contiguous(group), T.contiguous(offsets)], {
    trans: false,
  });
}
