// Shared by the moe tests: the backends every test runs on.
import { type Backend, cpuBackend, wasmBackend, webgpuBackend } from '@tessera/tensor';

let gpu: Promise<Backend | undefined> | undefined;

/** `[name, backend]` for cpu, wasm and (when there is an adapter, or required by TESSERA_REQUIRE_WEBGPU=1) webgpu. */
export async function backends(): Promise<[string, Backend][]> {
  gpu ??= webgpuBackend().catch((e: Error) => {
    if (process.env.TESSERA_REQUIRE_WEBGPU === '1') throw e;
    return undefined;
  });
  const g = await gpu;
  const list: [string, Backend][] = [
    ['cpu', cpuBackend],
    ['wasm', await wasmBackend()],
  ];
  return g ? [...list, ['webgpu', g]] : list;
}

/** Asserts |a − b| ≤ atol + rtol·|b| elementwise. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what = '',
): void {
  if (actual.length !== expected.length)
    throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) {
      throw new Error(
        `${what} element ${i}: got ${actual[i]}, expected ${expected[i]} (rtol ${rtol}, atol ${atol})`,
      );
    }
  }
}
