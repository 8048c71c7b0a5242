import * as T from '@tessera/tensor';
import { expect, it } from 'vitest';
import { patchText } from '../examples/patch-text.js';

it('the README example patches text into pieces that rebuild it', async () => {
  const text = 'The whale, the whale! Call me Ishmael, and sail about a little.';
  const patches = await patchText(text, T.cpuBackend);
  expect(patches.join('')).toBe(text);
  expect(text.length / patches.length).toBeGreaterThan(3);
});
