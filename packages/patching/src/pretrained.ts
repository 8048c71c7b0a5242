// Loading entropy-model weights, and the small model this package ships (weights/entropy-tiny.safetensors,
// trained by scripts/train-entropy.mjs on Moby-Dick; its config is in the file's metadata).
import * as T from '@tessera/tensor';
import { readLocalFile } from '#local-file';
import { ffnHidden } from './blt/config.js';
import {
  byteEntropies,
  EntropyModel,
  type EntropyModelConfig,
  type EntropyOptions,
  fromReferenceNames,
} from './entropy-model.js';
import { PatchingError } from './errors.js';
import { type EntropyPatchOptions, entropyPatches } from './patchers/entropy.js';
import type { Patches } from './patchers/lengths.js';
import { loadHost, loadOwnFile, readHostTensors } from './weights.js';

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
  const backend = options.backend ?? T.getBackend();
  return loadOwnFile(
    bytes,
    CONFIG_KEY,
    options.config,
    (c) => new EntropyModel(c, { backend }),
    'loadEntropyModel',
  );
}

/**
 * The configuration of a reference entropy model from its params.json (`{ entropy_model: … }`, or
 * that object), as the reference's load_entropy_model builds it: dim, n_layers, n_heads,
 * max_seqlen, ffn_dim_multiplier, and a 512-byte sliding window. Where params.json also has
 * multiple_of, norm_eps, rope_theta or sliding_window (the arguments the model was trained with),
 * they are used; the reference's loader assumes the defaults 256, 1e-5, 10000 and 512.
 */
export function entropyConfigFromReference(params: Record<string, unknown>): EntropyModelConfig {
  const p = (params.entropy_model ?? params) as Record<string, unknown>;
  const num = (k: string, fallback?: number, integer = true): number => {
    const v = p[k] ?? fallback;
    if (typeof v !== 'number' || !(integer ? Number.isInteger(v) && v > 0 : v > 0))
      throw new PatchingError(
        `entropyConfigFromReference: '${k}' must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}`,
      );
    return v;
  };
  if ((p.vocab_size ?? 260) !== 260)
    throw new PatchingError(
      `entropyConfigFromReference: vocab_size must be 260, got ${JSON.stringify(p.vocab_size)}`,
    );
  const dim = num('dim');
  const heads = num('n_heads');
  if (dim % heads || (dim / heads) % 2)
    throw new PatchingError(
      `entropyConfigFromReference: dim ${dim} must be n_heads ${heads} × an even head size`,
    );
  const multiplier = p.ffn_dim_multiplier == null ? undefined : num('ffn_dim_multiplier', undefined, false);
  return {
    dim,
    layers: num('n_layers'),
    heads,
    window: num('sliding_window', 512),
    maxSeq: num('max_seqlen'),
    hidden: ffnHidden(dim, num('multiple_of', 256), multiplier),
    normEps: num('norm_eps', 1e-5, false),
    ropeTheta: num('rope_theta', 10000, false),
  };
}

/**
 * A reference entropy model from its params.json and its weights as safetensors (the released
 * consolidated.pth is a PyTorch pickle: save its `["model"]` state dict with safetensors first).
 * Names and RoPE rows are converted ({@link fromReferenceNames}); every tensor is checked.
 */
export async function loadReferenceEntropyModel(
  weights: Uint8Array,
  params: Record<string, unknown>,
  options: { backend?: T.Backend } = {},
): Promise<EntropyModel> {
  const config = entropyConfigFromReference(params);
  const host = fromReferenceNames(await readHostTensors(weights, 'loadReferenceEntropyModel'), config);
  const model = new EntropyModel(config, { backend: options.backend ?? T.getBackend() });
  return loadHost(model, host, `loadReferenceEntropyModel (${JSON.stringify(config)})`);
}

/**
 * The shipped entropy model. In Node it is read from the installed package. In a browser it is
 * fetched: from `url` when given (serve the package's `weights/entropy-tiny.safetensors` and pass
 * where it is), otherwise from beside the bundled module (bundlers that rewrite
 * `new URL(…, import.meta.url)`, as Vite does, copy it there). A failed fetch is a PatchingError
 * naming the URL and the HTTP status.
 */
export async function tinyEntropyModel(
  options: { backend?: T.Backend; url?: string } = {},
): Promise<EntropyModel> {
  const href = options.url ?? new URL('../weights/entropy-tiny.safetensors', import.meta.url).href;
  return loadEntropyModel(await weightBytes(href), { backend: options.backend });
}

async function weightBytes(href: string): Promise<Uint8Array> {
  const what = 'tinyEntropyModel';
  if (href.startsWith('file:')) {
    if (!readLocalFile)
      throw new PatchingError(
        `${what}: cannot read ${href} outside Node; pass options.url, an http(s) URL of weights/entropy-tiny.safetensors`,
      );
    return readLocalFile(new URL(href));
  }
  let response: Response;
  try {
    response = await fetch(href);
  } catch (e) {
    throw new PatchingError(`${what}: fetching ${href} failed: ${(e as Error).message}`);
  }
  if (!response.ok)
    throw new PatchingError(
      `${what}: fetching ${href} gave HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}, expected 200 and the weights`,
    );
  return new Uint8Array(await response.arrayBuffer());
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
