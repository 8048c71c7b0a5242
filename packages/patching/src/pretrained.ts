// Loading entropy-model weights, and the small model this package ships (weights/entropy-tiny.safetensors,
// trained by scripts/train-entropy.mjs on Moby-Dick; its config is in the file's metadata).
import { readSafetensors, readSafetensorsMetadata } from '@tessera/nn';
import * as T from '@tessera/tensor';
import {
  byteEntropies,
  EntropyModel,
  type EntropyModelConfig,
  type EntropyOptions,
} from './entropy-model.js';
import { PatchingError } from './errors.js';
import { type EntropyPatchOptions, entropyPatches } from './patchers/entropy.js';
import type { Patches } from './patchers/lengths.js';
import { loadChecked } from './weights.js';

const CONFIG_KEY = 'tessera_entropy_config';

/**
 * An entropy model from safetensors bytes in this package's naming (see `fromReferenceNames` for the
 * reference's). The configuration comes from the file's metadata unless given; every weight's name
 * and shape must fit it, or nothing is built and the error names the tensor.
 */
export function loadEntropyModel(
  bytes: Uint8Array,
  options: { config?: EntropyModelConfig; backend?: T.Backend } = {},
): EntropyModel {
  const meta = readSafetensorsMetadata(bytes);
  let config = options.config;
  if (!config) {
    if (!meta[CONFIG_KEY])
      throw new PatchingError(
        `loadEntropyModel: the file has no '${CONFIG_KEY}' metadata; pass options.config`,
      );
    config = JSON.parse(meta[CONFIG_KEY]) as EntropyModelConfig;
  }
  const backend = options.backend ?? T.getBackend();
  const model = new EntropyModel(config, { backend });
  const tensors = readSafetensors(bytes, { backend });
  try {
    loadChecked(model, tensors, `loadEntropyModel (${JSON.stringify(config)})`);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

/** The shipped entropy model (Node: read from the package; browsers: fetched from `url`). */
export async function tinyEntropyModel(
  options: { backend?: T.Backend; url?: string } = {},
): Promise<EntropyModel> {
  const href = options.url ?? new URL('../weights/entropy-tiny.safetensors', import.meta.url).href;
  let bytes: Uint8Array;
  if (href.startsWith('file:')) {
    const { readFile } = await import('node:fs/promises');
    bytes = new Uint8Array(await readFile(new URL(href)));
  } else bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
  return loadEntropyModel(bytes, { backend: options.backend });
}

/** What {@link patchBytes} returns: an entropy per id (BOS first) and the patches over the ids. */
export interface PatchedBytes extends Patches {
  /** Entropy at id i (BOS = id 0), which predicts id i + 1. */
  entropies: Float32Array;
}

/**
 * Entropy patching of raw bytes end to end: BOS + bytes through the entropy model, then
 * {@link entropyPatches}. Starts index the ids (0 is BOS; byte j is id j + 1).
 */
export async function patchBytes(
  model: EntropyModel,
  bytes: Uint8Array,
  options: EntropyPatchOptions & EntropyOptions = { threshold: 1.335442066192627 },
): Promise<PatchedBytes> {
  const entropies = await byteEntropies(model, bytes, options);
  return { entropies, ...entropyPatches(entropies, options) };
}
