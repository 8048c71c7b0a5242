import * as T from '@tessera/tensor';
import { BOS_ID, OFFSET } from '../bytes.js';
import { type EntropyModel, EntropyStream } from '../entropy-model.js';
import { checkEntropyOptions, type EntropyPatchOptions, startsAt } from '../patchers/entropy.js';
import type { BltModel } from './model.js';
import { BltStream } from './stream.js';

/** Options of {@link generateBlt}. */
export interface BltGenerateOptions extends Omit<EntropyPatchOptions, 'patchSize' | 'maxPatchLength'> {
  threshold: number;
  /** 0 = greedy (default). */
  temperature?: number;
  generator?: T.Generator;
}

/**
 * Continues `prompt` by `steps` bytes with incremental entropy patching: the entropy model and the
 * BLT both run one id at a time through their caches; the entropy computed at each id decides
 * whether the next id starts a patch, and if so the finished patch enters the latent transformer
 * once, before this id's decoder step reads it. Returns the new bytes and the patch starts over all
 * ids (BOS = id 0), which equal entropy patching of the final text.
 */
export async function generateBlt(
  model: BltModel,
  entropyModel: EntropyModel,
  prompt: Uint8Array,
  steps: number,
  options: BltGenerateOptions,
): Promise<{ bytes: Uint8Array; starts: number[] }> {
  checkEntropyOptions('generateBlt', options);
  const entropies = new EntropyStream(entropyModel);
  const blt = new BltStream(model);
  const h: number[] = [];
  const starts: number[] = [0];
  const out: number[] = [];
  const random = T.rand([Math.max(1, steps)], { backend: T.cpuBackend, generator: options.generator });
  const draws = (await random.data()) as Float32Array;
  random.dispose();
  try {
    let logits: Float32Array = new Float32Array(0);
    // Id p is fed once its entropy h[p] is known: it decides whether id p + 1 starts a patch.
    const feed = async (id: number) => {
      const p = blt.length;
      const next = p + 1 < 2 || startsAt(p + 1, h, options);
      logits = await blt.push(id, next);
      if (next) starts.push(p + 1);
    };
    h.push(...(await entropies.push(prompt)));
    await feed(BOS_ID);
    for (const b of prompt) await feed(b + OFFSET);
    for (let s = 0; s < steps; s++) {
      const byte = sample(logits, options.temperature ?? 0, draws[s]);
      out.push(byte);
      h.push(...(await entropies.push(Uint8Array.of(byte))));
      await feed(byte + OFFSET);
    }
  } finally {
    entropies.dispose();
    blt.dispose();
  }
  // The last start may be the id after the text, which is never fed.
  return { bytes: Uint8Array.from(out), starts: starts.filter((s) => s < blt.length) };
}

/** A byte from next-id logits (special ids excluded): argmax, or inverse-CDF with one uniform draw. */
function sample(logits: Float32Array, temperature: number, u: number): number {
  const bytes = logits.subarray(OFFSET);
  if (temperature === 0) return bytes.indexOf(Math.max(...bytes));
  const max = Math.max(...bytes);
  const w = Array.from(bytes, (l) => Math.exp((l - max) / temperature));
  const total = w.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let i = 0; i < w.length; i++) {
    acc += w[i] / total;
    if (u < acc) return i;
  }
  return w.length - 1;
}
