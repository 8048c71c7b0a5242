import { type KernelSource, type ParamSchema, paramBlock, specialize } from '@tessera/gpu';
import { tensor_math, tensor_matmul } from '@tessera/kernels';
import type { Backend, Epilogue } from '../backend.js';
import type { DType } from '../dtype.js';
import { coalesce } from '../ir/coalesce.js';
import type { Exp } from '../ir/exp.js';
import { renderExps } from '../ir/render.js';
import { paramField, paramFields, paramValues, slotLang, wgslType } from '../ir/wgsl.js';
import type { MatmulGroup } from '../opgroups.js';
import type { KernelFn, OutSpec, View } from '../opset.js';
import { contiguousStrides, numel } from '../shape.js';
import { fill, stridedViews, type ViewsSpec, viewsCode } from './codegen.js';
import { chunks, type Gpu } from './gpu.js';
import {
  type OperandLoad,
  REGISTER_LOOPS_PER_STEP,
  type RegisterCols,
  type RegisterRows,
  type RegisterTiling,
  registerFixedLoops,
  registerMatmulSource,
} from './matmul-registers.js';

export type { OperandLoad, RegisterCols, RegisterRows, RegisterTiling } from './matmul-registers.js';

/**
 * The workgroup-tiled matmul (`matmul.wgsl`): threads (WGX × WGY) each computing a TM × TN block of
 * a tile staged in workgroup memory, stepping K by BK.
 */
export interface WorkgroupTiling {
  kind: 'workgroup';
  tm: number;
  tn: number;
  wgx: number;
  wgy: number;
  bk: number;
}

/** A matmul kernel and its specialization: what {@link chooseMatmulVariant} returns. */
export type MatmulVariant = RegisterTiling | WorkgroupTiling;

/** 64×64 tiles from 256 threads with 4×4 register blocks: for adapters that allow 256 invocations. */
export const MATMUL_LARGE: WorkgroupTiling = { kind: 'workgroup', tm: 4, tn: 4, wgx: 16, wgy: 16, bk: 16 };
/** 32×32 tiles from 64 threads: fits the WebGPU minimum limits (compatibility mode included). */
export const MATMUL_SMALL: WorkgroupTiling = { kind: 'workgroup', tm: 4, tn: 4, wgx: 8, wgy: 8, bk: 8 };

/** Workgroup memory a workgroup tiling stages per K step, in bytes. */
export const stagingBytes = (v: WorkgroupTiling): number => 4 * v.bk * (v.tm * v.wgy + v.tn * v.wgx);

type MatmulLimits = Pick<
  GPUSupportedLimits,
  'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupStorageSize' | 'maxComputeWorkgroupSizeX'
>;

/** The largest workgroup tiling the adapter's limits allow. */
export function chooseWorkgroupTiling(limits: MatmulLimits): WorkgroupTiling {
  const fits = (v: WorkgroupTiling) =>
    v.wgx * v.wgy <= Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX) &&
    stagingBytes(v) <= limits.maxComputeWorkgroupStorageSize;
  return fits(MATMUL_LARGE) ? MATMUL_LARGE : MATMUL_SMALL;
}

/** One operand as the kernels see it: element offset, stride along M (A) or N (B), along K, batch strides. */
export interface OperandLayout {
  offset: number;
  /** Stride between rows of A, or columns of B. */
  outer: number;
  /** Stride along K. */
  k: number;
  batch: readonly number[];
}

/** The shape of a batched product and how its operands lie in memory: what selects a variant. */
export interface MatmulProblem {
  M: number;
  N: number;
  K: number;
  batches: number;
  a: OperandLayout;
  b: OperandLayout;
}

/**
 * The loads an operand allows besides `scalar`: `vec4-k` when K is contiguous, `vec4-mn` when M (or
 * N) is, in both cases with every other stride and the offset a multiple of four (16-byte aligned
 * vec4s). The stride of a dimension of size 1 is never used, so it does not count.
 */
export function vectorLoads(l: OperandLayout, outerSize: number, K: number): OperandLoad[] {
  const aligned = (...strides: number[]) => l.offset % 4 === 0 && strides.every((s) => s % 4 === 0);
  const outer = outerSize === 1 ? 0 : l.outer;
  const k = K === 1 ? 0 : l.k;
  const loads: OperandLoad[] = [];
  // A stride of 0 on a longer dimension (a broadcast) reads one element for all: never vec4 along it.
  if ((l.k === 1 || K === 1) && aligned(outer, ...l.batch)) loads.push('vec4-k');
  if ((l.outer === 1 || outerSize === 1) && aligned(k, ...l.batch)) loads.push('vec4-mn');
  return loads;
}

/** Invocations per workgroup of the register-tiled kernel (every adapter allows 64). */
const REGISTER_WG = 64;
/** Workgroup size for products of fewer than four full workgroups of blocks. */
const REGISTER_WG_SMALL = 16;

/**
 * The variant for a product: the register-tiled kernel, its block of C from the shape (as many rows
 * as M needs up to 8, so GEMV and other skinny products waste no rows; four columns when N ≤ 4), its
 * loads from the operands' layouts, and smaller workgroups when there are few blocks, so that they
 * still spread over several workgroups (on a software adapter, over the CPU's threads). Measured on
 * llvmpipe (Mesa's software adapter), where it beats the workgroup-tiled kernel at every size (2.7× at
 * 256³, 22× on a GEMV); the workgroup-tiled kernel stays available by option.
 */
export function chooseMatmulVariant(p: MatmulProblem): MatmulVariant {
  const tm: RegisterRows = p.M <= 1 ? 1 : p.M <= 2 ? 2 : p.M <= 4 ? 4 : 8;
  const tn: RegisterCols = p.N <= 4 ? 4 : 8;
  const blocks = p.batches * Math.ceil(p.M / tm) * Math.ceil(p.N / tn);
  const aLoads = vectorLoads(p.a, p.M, p.K).filter((l) => l !== 'vec4-mn' || tm % 4 === 0);
  const bLoads = vectorLoads(p.b, p.N, p.K);
  const pick = (loads: OperandLoad[], prefer: OperandLoad): OperandLoad =>
    loads.includes(prefer) ? prefer : (loads[0] ?? 'scalar');
  return {
    kind: 'registers',
    tm,
    tn,
    wg: blocks < 4 * REGISTER_WG ? REGISTER_WG_SMALL : REGISTER_WG,
    a: pick(aLoads, 'vec4-k'),
    b: pick(bLoads, 'vec4-mn'),
  };
}

/** Loop iterations of one BK step of matmul.wgsl: the two staging loops, the k loop and its inner loops, the step itself. */
export const matmulLoopsPerStep = ({ tm, tn, wgx, wgy, bk }: WorkgroupTiling): number => {
  const threads = wgx * wgy;
  return (
    Math.ceil((bk * tm * wgy) / threads) +
    Math.ceil((bk * tn * wgx) / threads) +
    bk * (tm + tn + tm * tn + tm) +
    1
  );
};

/** Loop iterations matmul.wgsl runs outside the k loop: clearing and storing the register block, the batch index. */
const matmulFixedLoops = ({ tm, tn }: WorkgroupTiling, batchRank: number): number =>
  tm * tn + batchRank + tm * (tn + 1);

/** What one variant's dispatches need: its WGSL, k per step and loop costs, rows and columns per workgroup tile. */
interface Plan {
  label: string;
  source: (params: string) => string;
  kPerStep: number;
  loopsPerStep: number;
  fixedLoops: number;
  tileM: number;
  tileN: number;
  /** Workgroups for `tiles` tiles of C. */
  workgroups: (tiles: number) => number;
}

function plan(v: MatmulVariant, batchRank: number): Plan {
  if (v.kind === 'registers') {
    return {
      label: 'tensor/matmul_registers',
      source: (params) => registerMatmulSource(v, batchRank, params),
      kPerStep: 4,
      loopsPerStep: REGISTER_LOOPS_PER_STEP,
      fixedLoops: registerFixedLoops(batchRank),
      tileM: v.tm,
      tileN: v.tn,
      workgroups: (tiles) => Math.ceil(tiles / v.wg),
    };
  }
  const { tm, tn, wgx, wgy, bk } = v;
  return {
    label: 'tensor/matmul',
    source: (params) =>
      fill(tensor_matmul, {
        TM: tm,
        TN: tn,
        WGX: wgx,
        WGY: wgy,
        BK: bk,
        BATCH_RANK: batchRank,
        PARAMS: params,
      }),
    kPerStep: bk,
    loopsPerStep: matmulLoopsPerStep(v),
    fixedLoops: matmulFixedLoops(v, batchRank),
    tileM: tm * wgy,
    tileN: tn * wgx,
    workgroups: (tiles) => tiles,
  };
}

/** The problem a matmul kernel call poses: shapes and operand layouts. */
export function matmulProblem(a: View, b: View): MatmulProblem {
  const r = a.shape.length;
  const M = a.shape[r - 2];
  const K = a.shape[r - 1];
  const N = b.shape[r - 1];
  return {
    M,
    N,
    K,
    batches: numel(a.shape.slice(0, -2).map((s, d) => Math.max(s, b.shape[d]))),
    a: { offset: a.offset, outer: a.strides[r - 2], k: a.strides[r - 1], batch: a.strides.slice(0, -2) },
    b: { offset: b.offset, outer: b.strides[r - 1], k: b.strides[r - 2], batch: b.strides.slice(0, -2) },
  };
}

/** The parameter fields of both matmul kernels (`matmul.wgsl`, `matmul_registers.wgsl`) for a batch rank. */
const matmulFields = (batchRank: number) => {
  const batch = ['u32', batchRank] as const;
  return {
    M: 'u32',
    N: 'u32',
    k_begin: 'u32',
    k_end: 'u32',
    tiles_m: 'u32',
    tiles_n: 'u32',
    batches: 'u32',
    a_offset: 'u32',
    a_m: 'u32',
    a_k: 'u32',
    b_offset: 'u32',
    b_k: 'u32',
    b_n: 'u32',
    accumulate: 'u32',
    batch_shape: batch,
    a_batch: batch,
    b_batch: batch,
  } as const;
};

/** A matmul kernel's WGSL, once per variant and batch rank. */
const matmulKernel = specialize(({ variant, batchRank }: { variant: MatmulVariant; batchRank: number }) => {
  const params = paramBlock(matmulFields(batchRank));
  return { code: plan(variant, batchRank).source(params.wgsl(3)), params };
});

/** What selects the WGSL of a register-tiled matmul with a fused epilogue (expressions by structure). */
interface EpilogueOptions {
  variant: RegisterTiling;
  batchRank: number;
  exps: readonly Exp[];
  /** The input slot of `exps` reading the product. */
  slot: number;
  /** Dtype of each input slot. */
  inputs: readonly DType[];
  /** Addressing of the other input slots (named by slot) over the epilogue's iteration shape. */
  views: ViewsSpec;
  /** Whether C is bound: the product is kept, or summed over several dispatches. */
  withC: boolean;
}

/**
 * The register-tiled kernel whose store applies `exps` to each element of C (at row-major position
 * i of the output, where the other inputs are read through their views) and writes each
 * expression's output, and C too when it is bound.
 */
const epilogueKernel = specialize((o: EpilogueOptions) => {
  const { fields, fns } = viewsCode(o.views);
  const params = paramBlock({ ...matmulFields(o.batchRank), ...paramFields(o.exps), ...fields });
  const { lines, values } = renderExps(
    o.exps,
    slotLang((k) => `params.${paramField(k)}`, 'i'),
    't',
  );
  const others = o.inputs.flatMap((_, j) => (j === o.slot ? [] : [j]));
  const bindings: string[] = [];
  const bind = (access: string, name: string, type: string) =>
    bindings.push(
      `@group(0) @binding(${2 + bindings.length}) var<storage, ${access}> ${name}: array<${type}>;`,
    );
  if (o.withC) bind('read_write', 'C', 'f32');
  for (const j of others) bind('read', `in_${j}`, wgslType(o.inputs[j]));
  for (const [i, e] of o.exps.entries()) bind('read_write', `out_${i}`, wgslType(e.dtype));
  const body = [
    'let i = c_base + r * N + c;',
    // The value the plain kernel stores (0 + v as it computes it), then the epilogue of it.
    o.withC ? 'let x = select(0.0, C[i], accumulate) + v;' : 'let x = 0.0 + v;',
    ...(o.withC ? ['C[i] = x;'] : []),
    `let v${o.slot} = x;`,
    ...others.map((j) => `let v${j} = in_${j}[idx_${j}(i)];`),
    ...lines,
    ...values.map((v, i) => `out_${i}[i] = ${v};`),
  ];
  const put = [
    '/** Stores element (r, c) of C[batch] through the epilogue, when it lies in C. */',
    'fn put(c_base: u32, M: u32, N: u32, r: u32, c: u32, v: f32, accumulate: bool) {',
    '  if (r < M && c < N) {',
    ...body.map((l) => `    ${l}`),
    '  }',
    '}',
  ].join('\n');
  const code = registerMatmulSource(o.variant, o.batchRank, params.wgsl(2 + bindings.length), {
    outputs: bindings.join('\n'),
    put,
    epilogue: `${fns}\n${tensor_math}`,
  });
  return { code, params };
});

/**
 * The matmul kernel and its fused-epilogue form. `choose` picks the variant per call (default
 * {@link chooseMatmulVariant}; tests pass others); the pipeline is cached under its generated WGSL.
 */
export function matmulGpu(
  g: Gpu,
  choose: (p: MatmulProblem) => MatmulVariant = chooseMatmulVariant,
): {
  kernels: { [K in MatmulGroup]: KernelFn<GPUBuffer, K> };
  epilogue: Required<Backend<GPUBuffer>>['epilogue'];
} {
  /**
   * C = A·B; with `e`, the epilogue's outputs from the last dispatch's store (and C only when it is
   * kept or summed over several dispatches). Undefined when `e` cannot fuse: the workgroup-tiled
   * variant, or more bindings than the adapter allows.
   */
  const run = (out: OutSpec, a: View, b: View, e?: Epilogue<GPUBuffer>) => {
    const p = matmulProblem(a, b);
    const { M, N, K } = p;
    const batchShape = out.shape.slice(0, -2);
    const batches = numel(batchShape);
    const variant = choose(p);
    const pl = plan(variant, batchShape.length);
    const tilesM = Math.ceil(M / pl.tileM);
    const tilesN = Math.ceil(N / pl.tileN);
    const kStep = pl.kPerStep * g.stepsPerDispatch(pl.label, pl.loopsPerStep, pl.fixedLoops);
    // K = 0 still writes C once (zeros); a K past the loop budget adds one dispatch per slice.
    const slices = chunks(K, kStep);
    let epi:
      | { kernel: KernelSource<ParamSchema>; buffers: GPUBuffer[]; values: Record<string, unknown> }
      | undefined;
    const withC = !e || e.keep || slices.length > 1;
    let outputs: GPUBuffer[] = [];
    if (e) {
      const others = e.inputs.flatMap((v, j) => (v ? [[j, v] as const] : []));
      const bindings = 2 + (withC ? 1 : 0) + others.length + e.exps.length;
      if (variant.kind !== 'registers' || bindings > g.ctx.limits.maxStorageBuffersPerShaderStage)
        return undefined;
      // The other inputs' addressing over the epilogue's shape, as a map kernel would have it.
      const c = coalesce(e.shape, [contiguousStrides(e.shape), ...others.map(([, v]) => v.strides)]);
      const views = stridedViews(
        c.shape,
        others.map(([, v], k) => ({ strides: c.strides[1 + k], offset: v.offset })),
        others.map(([j]) => `${j}`),
      );
      const kernel = epilogueKernel({
        variant,
        batchRank: batchShape.length,
        exps: e.exps,
        slot: e.slot,
        inputs: e.inputs.map((v) => v?.dtype ?? 'f32'),
        views: views.spec,
        withC,
      });
      outputs = e.exps.map((x) => g.alloc({ shape: e.shape, dtype: x.dtype }));
      epi = {
        kernel: kernel as unknown as KernelSource<ParamSchema>,
        buffers: [...others.map(([, v]) => v.handle as GPUBuffer), ...outputs],
        values: { ...paramValues(e.exps, e.params), ...views.values },
      };
    }
    const buf = withC ? g.alloc(out) : undefined;
    const kernel = matmulKernel({ variant, batchRank: batchShape.length });
    slices.forEach(([k0, k1], i) => {
      const params = {
        M,
        N,
        k_begin: k0,
        k_end: k1,
        tiles_m: tilesM,
        tiles_n: tilesN,
        batches,
        a_offset: a.offset,
        a_m: p.a.outer,
        a_k: p.a.k,
        b_offset: b.offset,
        b_k: p.b.k,
        b_n: p.b.outer,
        accumulate: i > 0 ? 1 : 0,
        batch_shape: batchShape,
        a_batch: p.a.batch,
        b_batch: p.b.batch,
      };
      const workgroups = M && N ? pl.workgroups(tilesM * tilesN * batches) : 0;
      const operands = [a.handle as GPUBuffer, b.handle as GPUBuffer];
      if (epi && i === slices.length - 1) {
        g.dispatch({
          kernel: epi.kernel,
          label: `${pl.label}+epilogue`,
          buffers: [...operands, ...(buf ? [buf] : []), ...epi.buffers],
          params: { ...params, ...epi.values } as never,
          workgroups,
        });
      } else {
        g.dispatch({ kernel, label: pl.label, buffers: [...operands, buf as GPUBuffer], params, workgroups });
      }
    });
    return { outputs, product: buf };
  };
  return {
    kernels: { matmul: (out, [a, b]) => run(out, a, b)?.product as GPUBuffer },
    epilogue: (_op, out, [a, b], _params, e) => {
      const done = run(out, a, b, e);
      if (!done) return undefined;
      // A C that only carried the sum between dispatches is not kept.
      if (done.product && !e.keep) {
        g.ctx.releaseBuffer(done.product);
        return { outputs: done.outputs };
      }
      return done;
    },
  };
}
