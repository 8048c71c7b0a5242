import { tensor_matmul_registers } from '@tessera/kernels';
import { fill } from './codegen.js';

/**
 * How the register-tiled kernel reads an operand. `vec4-k`: four consecutive k of one row of A (or
 * one column of B) per load; `vec4-mn`: four consecutive rows of A (columns of B) at one k per
 * load; `scalar`: one element per load, through both strides (any layout).
 */
export type OperandLoad = 'vec4-k' | 'vec4-mn' | 'scalar';

/** Rows of C one invocation of the register-tiled kernel computes. */
export type RegisterRows = 1 | 2 | 4 | 8;
/** Columns of C one invocation of the register-tiled kernel computes (whole vec4 accumulators). */
export type RegisterCols = 4 | 8 | 16;

/**
 * The register-tiled matmul (`matmul_registers.wgsl`): no workgroup memory, each invocation sums a
 * `tm` × `tn` block of C over K, reading A and B as `a` and `b` say.
 */
export interface RegisterTiling {
  kind: 'registers';
  tm: RegisterRows;
  tn: RegisterCols;
  /** Invocations per workgroup. */
  wg: number;
  a: OperandLoad;
  b: OperandLoad;
}

/** Loop iterations of one k step (four k) of the register-tiled kernel: the k loop's own, nothing nested. */
export const REGISTER_LOOPS_PER_STEP = 1;

/** Loop iterations the register-tiled kernel runs besides its four-k steps: the batch index, the ≤ 3 single-k steps. */
export const registerFixedLoops = (batchRank: number): number => batchRank + 3 + 1;

/**
 * Where the register-tiled kernel stores C: the read-write bindings from 2 on (`OUTPUTS`), `fn put`
 * called for each element of the block (`PUT`), and what `put` needs besides (`EPILOGUE`).
 */
export interface StoreCode {
  outputs: string;
  put: string;
  epilogue: string;
}

/** The plain store: C (+)= the block. */
export const PLAIN_STORE: StoreCode = {
  outputs: '@group(0) @binding(2) var<storage, read_write> C: array<f32>;',
  put: `/** C[c_base + r·N + c] (+)= v when (r, c) lies in C. */
fn put(c_base: u32, M: u32, N: u32, r: u32, c: u32, v: f32, accumulate: bool) {
  if (r < M && c < N) {
    let o = c_base + r * N + c;
    C[o] = select(0.0, C[o], accumulate) + v;
  }
}`,
  epilogue: '',
};

/** WGSL `vec4<f32>(…)` of four scalar expressions. */
const vec4 = (xs: string[]): string => `vec4<f32>(${xs.join(', ')})`;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * The WGSL of the register-tiled kernel for `t` and a batch rank: the k step body is unrolled here,
 * so the source (and with it the pipeline cache key) says everything the variant does. `out` says
 * how C is stored (plain, or through a fused elementwise epilogue).
 */
export function registerMatmulSource(
  t: RegisterTiling,
  batchRank: number,
  params: string,
  out: StoreCode = PLAIN_STORE,
): string {
  const { tm, tn, a, b } = t;
  if (a === 'vec4-mn' && tm % 4 !== 0)
    throw new Error(`matmul: vec4-mn loads of A need tm % 4 == 0, got tm ${tm}`);
  const rows = range(tm);
  const cols = range(tn);
  const quads = range(tn / 4);
  const kks = range(4);
  const setup: string[] = [];
  const step: string[] = [];
  // Element offsets of the rows of A and columns of B, clamped to the last; used by the tail (and by scalar loads).
  for (const i of rows) setup.push(`let ae${i} = a_base + min(row0 + ${i}u, M - 1u) * sa_m;`);
  for (const j of cols) setup.push(`let be${j} = b_base + min(col0 + ${j}u, N - 1u) * sb_n;`);
  for (const i of rows) for (const q of quads) setup.push(`var acc${i}_${q} = vec4<f32>(0.0);`);

  // a(i, kk): A at row i, k + kk, as a scalar expression; the loads it needs go into the step first.
  let aAt: (i: number, kk: number) => string;
  if (a === 'vec4-k') {
    for (const i of rows) setup.push(`let av${i} = ae${i} / 4u;`);
    for (const i of rows) step.push(`let a${i} = A[av${i} + k / 4u];`);
    aAt = (i, kk) => `a${i}[${kk}]`;
  } else if (a === 'vec4-mn') {
    setup.push('let sa_k4 = sa_k / 4u;');
    for (const q of range(tm / 4))
      setup.push(`let av${q} = a_base / 4u + min(row0 / 4u + ${q}u, (M - 1u) / 4u);`);
    for (const q of range(tm / 4))
      for (const kk of kks) step.push(`let a${q}_${kk} = A[av${q} + (k + ${kk}u) * sa_k4];`);
    aAt = (i, kk) => `a${Math.floor(i / 4)}_${kk}[${i % 4}]`;
  } else {
    for (const i of rows)
      for (const kk of kks) step.push(`let a${i}_${kk} = A[ae${i} + (k + ${kk}u) * sa_k];`);
    aAt = (i, kk) => `a${i}_${kk}`;
  }

  if (b === 'vec4-k') {
    // Columns of B as k-vectors: acc(i, quad) += a(i, k..k+3) · [b(k..k+3, j) for the quad's four j].
    for (const j of cols) setup.push(`let bv${j} = be${j} / 4u;`);
    for (const j of cols) step.push(`let b${j} = B[bv${j} + k / 4u];`);
    for (const i of rows) {
      // Row i of A over k .. k + 3: loaded as one vec4 already, or gathered from its scalars.
      let ak = `a${i}`;
      if (a !== 'vec4-k') {
        ak = `ak${i}`;
        step.push(`let ak${i} = ${vec4(kks.map((kk) => aAt(i, kk)))};`);
      }
      for (const q of quads) {
        const m = `mat4x4<f32>(${range(4)
          .map((l) => `b${4 * q + l}`)
          .join(', ')})`;
        step.push(`acc${i}_${q} = acc${i}_${q} + ${ak} * ${m};`);
      }
    }
  } else {
    // Rows of B as n-vectors: acc(i, quad) += a(i, k + kk) · b(k + kk, quad) for each kk.
    if (b === 'vec4-mn') {
      setup.push('let sb_k4 = sb_k / 4u;');
      for (const q of quads) setup.push(`let bv${q} = b_base / 4u + min(col0 / 4u + ${q}u, (N - 1u) / 4u);`);
    }
    for (const kk of kks) {
      for (const q of quads) {
        const load =
          b === 'vec4-mn'
            ? `B[bv${q} + (k + ${kk}u) * sb_k4]`
            : vec4(range(4).map((l) => `B[be${4 * q + l} + (k + ${kk}u) * sb_k]`));
        step.push(`let b${kk}_${q} = ${load};`);
      }
      for (const i of rows)
        for (const q of quads)
          step.push(`acc${i}_${q} = fma(vec4<f32>(${aAt(i, kk)}), b${kk}_${q}, acc${i}_${q});`);
    }
  }

  const tail: string[] = [];
  for (const i of rows) tail.push(`let t${i} = a_at(ae${i} + k * sa_k);`);
  for (const q of quads)
    tail.push(`let u${q} = ${vec4(range(4).map((l) => `b_at(be${4 * q + l} + k * sb_k)`))};`);
  for (const i of rows)
    for (const q of quads) tail.push(`acc${i}_${q} = fma(vec4<f32>(t${i}), u${q}, acc${i}_${q});`);

  const store: string[] = [];
  for (const i of rows)
    for (const q of quads)
      for (const l of range(4))
        store.push(`put(c_base, M, N, row0 + ${i}u, col0 + ${4 * q + l}u, acc${i}_${q}[${l}], accumulate);`);

  const at = (load: OperandLoad, buf: string) => (load === 'scalar' ? `${buf}[e]` : `${buf}[e / 4u][e % 4u]`);
  const type = (load: OperandLoad) => (load === 'scalar' ? 'f32' : 'vec4<f32>');
  return fill(tensor_matmul_registers, {
    A_TYPE: type(a),
    B_TYPE: type(b),
    A_AT: at(a, 'A'),
    B_AT: at(b, 'B'),
    PARAMS: params,
    WG: t.wg,
    BATCH_RANK: batchRank,
    TM: tm,
    TN: tn,
    SETUP: setup.join('\n  '),
    STEP: step.join('\n    '),
    TAIL: tail.join('\n    '),
    STORE: store.join('\n  '),
    OUTPUTS: out.outputs,
    PUT: out.put,
    EPILOGUE: out.epilogue,
  });
}
