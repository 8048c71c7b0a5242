// Shared by every tensor test: the backends to run on, seeded random data, and comparisons.
import {
  type Backend,
  cpuBackend,
  type DType,
  type Tensor,
  tensor,
  wasmBackend,
  webgpuBackend,
} from '../src/index.js';

let gpu: Promise<Backend | undefined> | undefined;

/** The WebGPU backend, or undefined when there is no adapter (an error under TESSERA_REQUIRE_WEBGPU=1). */
export function gpuBackend(): Promise<Backend | undefined> {
  gpu ??= webgpuBackend().catch((e: Error) => {
    if (process.env.TESSERA_REQUIRE_WEBGPU === '1') throw e;
    return undefined;
  });
  return gpu;
}

/** `[name, backend]` for cpu, wasm and (when present) webgpu; for `describe.each`. */
export async function backends(): Promise<[string, Backend][]> {
  const g = await gpuBackend();
  const list: [string, Backend][] = [
    ['cpu', cpuBackend],
    ['wasm', await wasmBackend()],
  ];
  return g ? [...list, ['webgpu', g]] : list;
}

/** A small deterministic PRNG (mulberry32) for test data, independent of the library's own. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random values in [lo, hi) of `shape`, as a flat array. */
export function randomArray(r: () => number, n: number, lo = -1, hi = 1, dtype: DType = 'f32'): number[] {
  return Array.from({ length: n }, () => {
    const v = lo + (hi - lo) * r();
    return dtype === 'f32' ? v : Math.floor(v);
  });
}

/** A random `{ shape, data }` input for {@link gradcheck}. */
export function randomInput(
  r: () => number,
  shape: number[],
  lo = -2,
  hi = 2,
): { shape: number[]; data: number[] } {
  return {
    shape,
    data: randomArray(
      r,
      shape.reduce((a, b) => a * b, 1),
      lo,
      hi,
    ),
  };
}

/** A tensor of random values on `backend`. */
export function randomTensor(
  r: () => number,
  shape: number[],
  backend: Backend,
  opts: { lo?: number; hi?: number; dtype?: DType } = {},
): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const dtype = opts.dtype ?? 'f32';
  return tensor(randomArray(r, n, opts.lo ?? -1, opts.hi ?? 1, dtype), { shape, dtype, backend });
}

/** Random shape of `rank` with dims in [1, max], often not multiples of a tile. */
export function randomShape(r: () => number, rank: number, max = 9): number[] {
  return Array.from({ length: rank }, () => 1 + Math.floor(r() * max));
}

/** Asserts two flat arrays agree: |a − b| ≤ atol + rtol·|b|, NaNs in the same places. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = 1e-4,
  atol = 1e-5,
  what = '',
): void {
  if (actual.length !== expected.length)
    throw new Error(`${what} length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${what} element ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

/**
 * Checks the gradients of `f` at `inputs` (host arrays with shapes) on `backend` against central
 * finite differences computed on the CPU backend. The scalar checked is sum(f(x) · w) for fixed
 * random weights w, so every output element's gradient counts.
 */
export async function gradcheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: { data: number[]; shape: number[] }[],
  backend: Backend,
  {
    eps = 1e-2,
    rtol = 2e-2,
    atol = 2e-3,
    seed = 7,
  }: { eps?: number; rtol?: number; atol?: number; seed?: number } = {},
): Promise<void> {
  const T = await import('../src/index.js');
  const probe = f(...inputs.map((x) => T.tensor(x.data, { shape: x.shape, backend: cpuBackend })));
  const r = rng(seed);
  const w = randomArray(r, probe.size);
  const wshape = [...probe.shape];
  probe.dispose();
  const scalar = (...xs: Tensor[]) =>
    T.sum(T.mul(f(...xs), T.tensor(w, { shape: wshape, backend: xs[0].backend })));
  const xs = inputs.map((x) => T.tensor(x.data, { shape: x.shape, backend }));
  const [value, grads] = T.valueAndGrad(scalar)(...xs);
  value.dispose();
  for (const [k, x] of inputs.entries()) {
    const analytic = await grads[k].data();
    const numeric = new Float64Array(x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const at = (delta: number) =>
        T.tidy(() => {
          const args = inputs.map((y, j) => {
            const d = [...y.data];
            if (j === k) d[i] += delta;
            return T.tensor(d, { shape: y.shape, backend: cpuBackend });
          });
          return T.noGrad(() => scalar(...args));
        });
      const [hi, lo] = [at(eps), at(-eps)];
      numeric[i] = ((await hi.item()) - (await lo.item())) / (2 * eps);
      hi.dispose();
      lo.dispose();
    }
    expectClose(analytic, numeric, rtol, atol, `d/d(input ${k})`);
  }
  for (const t of [...xs, ...grads]) t.dispose();
}

/** A number in a PyTorch fixture: the strings stand for what JSON cannot hold (tools/fixtures/fixture_json.py). */
export type FixtureNum = number | 'nan' | 'inf' | '-inf' | '-0';

/** The number a fixture value stands for. */
export const decodeNum = (v: FixtureNum): number =>
  v === 'nan'
    ? Number.NaN
    : v === 'inf'
      ? Number.POSITIVE_INFINITY
      : v === '-inf'
        ? Number.NEGATIVE_INFINITY
        : v === '-0'
          ? -0
          : v;
