// Backends and comparisons for @tessera/nn tests (the package under test is used through its build).
import { type Backend, cpuBackend, wasmBackend, webgpuBackend } from '@tessera/tensor';

/** `[name, backend]` for cpu, wasm and webgpu (webgpu missing fails under TESSERA_REQUIRE_WEBGPU=1). */
export async function backends(): Promise<[string, Backend][]> {
  const gpu = await webgpuBackend().catch((e: Error) => {
    if (process.env.TESSERA_REQUIRE_WEBGPU === '1') throw e;
    return undefined;
  });
  const list: [string, Backend][] = [
    ['cpu', cpuBackend],
    ['wasm', await wasmBackend()],
  ];
  return gpu ? [...list, ['webgpu', gpu]] : list;
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
