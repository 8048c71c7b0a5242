// A Byte Latent Transformer end to end (README; test/examples.test.ts runs it): train a small one on
// Moby-Dick with entropy patches from the shipped entropy model, generate with incremental patching,
// and load a checkpoint released in the reference's format.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mobyDick } from '@tessera/corpora';
import { AdamW } from '@tessera/nn';
import * as T from '@tessera/tensor';
import {
  BltModel,
  byteEntropies,
  calibrateThreshold,
  entropyPatches,
  generateBlt,
  loadReferenceBlt,
  tinyEntropyModel,
} from '../src/index.js';

/** Trains a BLT for `steps` steps on windows of 32 bytes; returns the losses and a continuation. */
export async function trainTinyBlt(backend: T.Backend, steps: number) {
  const entropy = await tinyEntropyModel({ backend });
  const text = mobyDick().subarray(50_000, 58_000);
  // One entropy per id (BOS first); θ for patches of about 4 bytes.
  const e = await byteEntropies(entropy, text);
  const { threshold } = calibrateThreshold([e], 4);
  const model = new BltModel(
    {
      dimLocal: 32,
      dimGlobal: 64,
      encoderLayers: 1,
      globalLayers: 2,
      decoderLayers: 1,
      encoderHeads: 2,
      decoderHeads: 2,
      globalHeads: 4,
      window: 32,
      maxSeq: 64,
      crossAttnK: 2,
      crossAttnHeads: 2,
      multipleOf: 8,
      hash: { functions: 1, groupSizes: [3, 4, 5], vocab: 4099 },
    },
    { backend, generator: new T.Generator(0) },
  );
  const opt = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0 });
  const S = 32;
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    // Windows of BOS + S bytes; patches over all S + 1 ids from the entropies at those ids.
    const rows: number[][] = [];
    const starts: number[][] = [];
    for (let b = 0; b < 8; b++) {
      const at = ((step * 8 + b) * 977) % (text.length - S);
      rows.push([1, ...[...text.subarray(at, at + S)].map((x) => x + 4)]);
      starts.push([...entropyPatches(e.subarray(at, at + S + 1), { threshold }).starts]);
    }
    const ids = T.tensor(rows, { dtype: 'i32', backend });
    opt.zeroGrad();
    const loss = T.tidy(() => {
      const l = model.loss(ids, starts);
      l.backward();
      return l;
    });
    opt.step();
    losses.push(await loss.item());
    loss.dispose();
    ids.dispose();
  }
  const { bytes } = await generateBlt(model, entropy, new TextEncoder().encode('Call me '), 16, {
    threshold,
  });
  opt.dispose();
  model.dispose();
  entropy.dispose();
  return { losses, sample: new TextDecoder().decode(bytes) };
}

/** A BLT released in the reference's format: a directory with config.json and model.safetensors. */
export async function loadReleased(dir: string, backend: T.Backend): Promise<BltModel> {
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  const weights = new Uint8Array(await readFile(join(dir, 'model.safetensors')));
  return loadReferenceBlt(weights, config, { backend });
}
