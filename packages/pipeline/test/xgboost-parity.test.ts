// Every XGBoost fixture model compiled on the CPU backend and on WebGPU (all three tree strategies
// on every tree booster) gives XGBoost's own predictions within Hummingbird's tolerance.
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { parseXgboost } from '../src/index.js';
import { gpuBackend } from './helpers.js';
import { expectParity } from './parity.js';
import { expectedOutputs, loadXgboostCase, rowsOf, XGBOOST_CASES } from './xgboost-fixtures.js';

const gpu = await gpuBackend();

for (const [name, backend] of [
  ['cpu', T.cpuBackend],
  ['webgpu', gpu],
] as const) {
  describe.skipIf(!backend)(`XGBoost parity on ${name}${backend ? '' : ' (no WebGPU adapter)'}`, () => {
    it('every fixture model', async () => {
      let nearTies = 0;
      for (const c of XGBOOST_CASES) {
        const fixture = loadXgboostCase(c);
        nearTies += await expectParity(
          parseXgboost(fixture.model),
          rowsOf(fixture),
          expectedOutputs(fixture),
          backend!,
          c,
        );
      }
      expect(nearTies).toBe(0);
    });
  });
}
