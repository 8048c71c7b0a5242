// Every ml.js model of the tests compiled on the CPU backend and on WebGPU (all three tree
// strategies on every tree model) gives the library's own predictions within Hummingbird's
// tolerance, on every row of its data set and rows on either side of its splits.
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { parseMljs } from '../src/index.js';
import { gpuBackend } from './helpers.js';
import { mljsCases, rowsFor } from './mljs-models.js';
import { type Expected, expectParity } from './parity.js';

const gpu = await gpuBackend();
const cases = mljsCases();

for (const [name, backend] of [
  ['cpu', T.cpuBackend],
  ['webgpu', gpu],
] as const) {
  describe.skipIf(!backend)(`ml.js parity on ${name}${backend ? '' : ' (no WebGPU adapter)'}`, () => {
    it('every model', async () => {
      let nearTies = 0;
      for (const c of cases) {
        const pipeline = parseMljs(c.json, c.options);
        const rows = rowsFor(c, pipeline);
        const want = c.predict(rows);
        const expected: Expected = want.label
          ? { label: want.label, probabilities: want.values }
          : { variable: want.values };
        nearTies += await expectParity(pipeline, rows, expected, backend!, c.name);
      }
      expect(nearTies).toBe(0);
    });
  });
}
