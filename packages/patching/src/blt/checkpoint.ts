// BLT weights in and out: the reference's released files (config.json + model.safetensors under
// facebookresearch/blt's names, Meta's interleaved RoPE) and this package's own safetensors, whose
// metadata carries the configuration.
import { writeSafetensors } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { PatchingError } from '../errors.js';
import { convertBlockParam, type HostTensor } from '../reference-names.js';
import { loadHost, loadOwnFile, readHostTensors } from '../weights.js';
import { type BltConfig, bltConfigFromReference, resolveBltConfig } from './config.js';
import { BltModel } from './model.js';

const CONFIG_KEY = 'tessera_blt_config';

/**
 * Renames a reference BLT state dict to {@link BltModel}'s names: transformer-block parameters get
 * @tessera/nn's names with wq/wk rows permuted from interleaved RoPE to rotate-half (for each part's
 * own query and key/value heads); every other name — embeddings, hash tables, cross-attention,
 * projections, the decoder's norm and output — is the reference's already.
 */
export function bltFromReferenceNames(
  state: Record<string, HostTensor>,
  config: BltConfig,
): Record<string, HostTensor> {
  const c = resolveBltConfig(config);
  const heads: Record<string, [number, number]> = {
    local_encoder: [c.encoderHeads, c.kvHeadsLocal ?? c.encoderHeads],
    global_transformer: [c.globalHeads, c.kvHeadsGlobal],
    local_decoder: [c.decoderHeads, c.kvHeadsLocal ?? c.decoderHeads],
  };
  const out: Record<string, HostTensor> = {};
  for (const [key, t] of Object.entries(state)) {
    const m = /^(local_encoder|global_transformer|local_decoder)\.layers\.(\d+)\.(.+)$/.exec(key);
    if (!m) {
      out[key] = t;
      continue;
    }
    const [q, kv] = heads[m[1]];
    const block = convertBlockParam(m[3], t, q, kv, `bltFromReferenceNames ('${key}')`);
    if (!block)
      throw new PatchingError(`bltFromReferenceNames: '${key}' is not a parameter of the reference BLT`);
    out[`${m[1]}.layers.${m[2]}.${block[0]}`] = block[1];
  }
  return out;
}

/**
 * A model from the reference's released files: `weights` is model.safetensors (F32, F16 or BF16)
 * and `config` the parsed config.json (`{ args: … }`). Unsupported options, unknown or missing
 * tensors and wrong shapes are refused by name before a model is returned.
 */
export async function loadReferenceBlt(
  weights: Uint8Array,
  config: Record<string, unknown>,
  options: { backend?: T.Backend } = {},
): Promise<BltModel> {
  const c = bltConfigFromReference(config);
  const host = bltFromReferenceNames(await readHostTensors(weights, 'loadReferenceBlt'), c);
  return loadHost(new BltModel(c, { backend: options.backend ?? T.getBackend() }), host, 'loadReferenceBlt');
}

/** A model from this package's safetensors ({@link saveBltModel}); the config comes from its metadata unless given. */
export function loadBltModel(
  bytes: Uint8Array,
  options: { config?: BltConfig; backend?: T.Backend } = {},
): BltModel {
  const backend = options.backend ?? T.getBackend();
  return loadOwnFile(bytes, CONFIG_KEY, options.config, (c) => new BltModel(c, { backend }), 'loadBltModel');
}

/** The model's weights as safetensors bytes, with its configuration in the metadata. */
export async function saveBltModel(model: BltModel): Promise<Uint8Array> {
  return writeSafetensors(model.stateDict(), { [CONFIG_KEY]: JSON.stringify(model.config) });
}
