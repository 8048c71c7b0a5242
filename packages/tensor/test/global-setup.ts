// Names the WebGPU adapter once per run; under TESSERA_REQUIRE_WEBGPU=1 a missing adapter fails the run.
import { describeAdapter, findAdapter } from '@tessera/gpu';

export default async function setup(): Promise<void> {
  try {
    const found = await findAdapter();
    console.log(`webgpu adapter: ${describeAdapter(found)}`);
  } catch (e) {
    if (process.env.TESSERA_REQUIRE_WEBGPU === '1')
      throw new Error(`TESSERA_REQUIRE_WEBGPU=1 but no adapter: ${(e as Error).message}`);
    console.log(`webgpu adapter: none (${(e as Error).message}); WebGPU tests are skipped`);
  }
}
