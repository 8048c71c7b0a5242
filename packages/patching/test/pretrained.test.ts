// The shipped entropy model: loads, patches real text sensibly, and a wrong config is refused.
import { readFileSync } from 'node:fs';
import { mobyDick } from '@tessera/corpora';
import { describe, expect, it } from 'vitest';
import { backends } from '../../nn/test/helpers.js';
import {
  calibrateThreshold,
  entropyPatches,
  loadEntropyModel,
  patchBytes,
  tinyEntropyModel,
} from '../src/index.js';

const list = await backends();
const file = readFileSync(new URL('../weights/entropy-tiny.safetensors', import.meta.url));

describe.each(list)('shipped entropy model on %s', (_name, backend) => {
  it('is small, loads, and starts patches more often at word starts than inside words', async () => {
    expect(file.byteLength).toBeLessThan(5 * 1024 * 1024);
    const model = await tinyEntropyModel({ backend });
    const text = mobyDick().subarray(200_000, 202_000);
    const { entropies, starts, lengths } = await patchBytes(model, text, { threshold: 1.335442066192627 });
    expect(entropies.length).toBe(text.length + 1);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(text.length + 1);
    // Bytes right after a space are harder to predict than the rest: a trained model knows that.
    let afterSpace = 0;
    let nAfter = 0;
    let other = 0;
    let nOther = 0;
    for (let j = 1; j < text.length; j++) {
      if (text[j - 1] === 32) {
        afterSpace += entropies[j];
        nAfter++;
      } else {
        other += entropies[j];
        nOther++;
      }
    }
    expect(afterSpace / nAfter).toBeGreaterThan(1.5 * (other / nOther));
    // The reference's θ suits its 100M model; this tiny one is less sure of itself, so patches are short.
    expect((text.length + 1) / starts.length).toBeLessThan(3);
    // Calibrated to mean size 4.5, starts land mostly after spaces and punctuation.
    const { threshold, meanPatchSize } = calibrateThreshold([entropies], 4.5);
    expect(Math.abs(meanPatchSize - 4.5)).toBeLessThan(0.3);
    const cal = entropyPatches(entropies, { threshold });
    const afterNonLetter = [...cal.starts].filter(
      (p) => p >= 2 && !/[A-Za-z]/.test(String.fromCharCode(text[p - 2])),
    ).length;
    expect(afterNonLetter / cal.starts.length).toBeGreaterThan(0.5);
    model.dispose();
  });

  it('refuses weights for a different configuration, naming the tensor', () => {
    expect(() =>
      loadEntropyModel(file, { config: { dim: 32, layers: 2, heads: 4, window: 128, maxSeq: 512 }, backend }),
    ).toThrow(
      /'lm_head\.weight' has shape \[260, 64\], the configuration needs \[260, 32\]|has shape \[\d+(, \d+)*\], the configuration needs/,
    );
    expect(() =>
      loadEntropyModel(file, { config: { dim: 64, layers: 1, heads: 4, window: 128, maxSeq: 512 }, backend }),
    ).toThrow(/'model\.layers\.1\.[a-z_.]+weight' is not a parameter/);
  });
});
