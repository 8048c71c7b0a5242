// Entropy patching of text with the shipped model (README; test/examples.test.ts runs it).
import type * as T from '@tessera/tensor';
import {
  calibrateThreshold,
  decodeBytes,
  entropyPatches,
  patchBytes,
  tinyEntropyModel,
} from '../src/index.js';

/** The patches of `text` at a threshold calibrated to a mean patch size of 4.5 bytes. */
export async function patchText(text: string, backend: T.Backend): Promise<string[]> {
  const model = await tinyEntropyModel({ backend }); // 538 KB, trained on Moby-Dick
  const bytes = new TextEncoder().encode(text);
  const { entropies } = await patchBytes(model, bytes); // one entropy per id (BOS first)
  const { threshold } = calibrateThreshold([entropies], 4.5);
  const { starts, lengths } = entropyPatches(entropies, { threshold });
  model.dispose();
  const ids = [1, ...bytes.map((b) => b + 4)]; // BOS, then bytes offset by 4
  return [...starts].map((s, i) => decodeBytes(ids.slice(s, s + lengths[i])));
}
