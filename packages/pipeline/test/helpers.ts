// Backends and seeded data for the pipeline tests.
import * as T from '@tessera/tensor';

let gpu: Promise<T.Backend | undefined> | undefined;

/** The WebGPU backend, or undefined without an adapter (an error under TESSERA_REQUIRE_WEBGPU=1). */
export function gpuBackend(): Promise<T.Backend | undefined> {
  gpu ??= T.webgpuBackend().catch((e: Error) => {
    if (process.env.TESSERA_REQUIRE_WEBGPU === '1') throw e;
    return undefined;
  });
  return gpu;
}

/** `[name, backend]` for cpu and (when present) webgpu. */
export async function backends(): Promise<[string, T.Backend][]> {
  const g = await gpuBackend();
  return g
    ? [
        ['cpu', T.cpuBackend],
        ['webgpu', g],
      ]
    : [['cpu', T.cpuBackend]];
}

/** mulberry32: the tensor tests' seeded PRNG. */
export { rng } from '../../tensor/test/helpers.js';

/** Asserts |a − e| <= atol + rtol·|e| elementwise (NaN where NaN), naming the first miss. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what: string,
): void {
  if (actual.length !== expected.length)
    throw new Error(`${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i], expected[i]];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e)))
      throw new Error(`${what}: element ${i}: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  }
}
