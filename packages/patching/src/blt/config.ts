// BLT's configuration, in the terms of the reference's ByteLatentTransformerArgs
// (facebookresearch/blt bytelatent/model/blt.py), and the reading of its config.json.
import { PatchingError } from '../errors.js';
import { checkHashConfig, type HashConfig } from '../hash.js';

/** How each patch's encoder states become its first query (`downsampling_by_pooling`). */
export type BltPooling = 'max' | 'avg' | 'min';

/**
 * Sizes and options of a {@link BltModel}. Each field names the reference argument it stands for;
 * the local encoder and decoder share one width (the reference feeds the encoder's byte states to
 * the decoder, so the two must agree).
 */
export interface BltConfig {
  /** `dim_local_encoder` = `dim_local_decoder`. */
  dimLocal: number;
  /** `dim_global`. */
  dimGlobal: number;
  /** `n_layers_local_encoder`, `n_layers_global`, `n_layers_local_decoder`. */
  encoderLayers: number;
  globalLayers: number;
  decoderLayers: number;
  /** `n_heads_local_encoder`, `n_heads_local_decoder`, `n_heads_global`. */
  encoderHeads: number;
  decoderHeads: number;
  globalHeads: number;
  /** `n_kv_heads` (local layers) and `n_kv_heads_global`; default: as many as query heads. */
  kvHeadsLocal?: number;
  kvHeadsGlobal?: number;
  /** `local_attention_window_len`: each byte attends the last `window` bytes (0 = all). */
  window: number;
  /** `max_encoder_seq_length`: the longest byte sequence (local RoPE table). */
  maxSeq: number;
  /** `max_seqlen`: the longest patch sequence (global RoPE table). Default `maxSeq`. */
  maxPatches?: number;
  /** `cross_attn_k`: queries per patch in the encoder, keys per patch in the decoder. Default 1. */
  crossAttnK?: number;
  /** `cross_attn_nheads`. Default `encoderHeads`. */
  crossAttnHeads?: number;
  /** `cross_attn_all_layers_encoder`: pool once, then cross-attend after every encoder layer. Default false. */
  crossAttnAllLayersEncoder?: boolean;
  /** `cross_attn_all_layers_decoder`: cross-attend before every decoder layer (else the first only). Default true, as the released models. */
  crossAttnAllLayersDecoder?: boolean;
  /**
   * Byte attention restarts after each EOS inside a row (packed documents), as the reference's
   * `local_block_causal` masks (attn_impl xformers). Default true.
   */
  blockCausalLocal?: boolean;
  /**
   * The latent transformer's attention restarts after each patch that holds an EOS
   * (`attn_bias_type` block_causal with xformers). Default true.
   */
  blockCausalGlobal?: boolean;
  /** `downsampling_by_pooling`. Default 'max'. */
  pooling?: BltPooling;
  /** `encoder_hash_byte_group_size`, `_vocab`, `_nb_functions`; no hash embeddings when absent. */
  hash?: HashConfig;
  /** `multiple_of` (default 256) and `ffn_dim_multiplier` of the SwiGLU width. */
  multipleOf?: number;
  ffnDimMultiplier?: number;
  /** `norm_eps` (default 1e-5) and `rope_theta` (default 10000). */
  normEps?: number;
  ropeTheta?: number;
}

/** A {@link BltConfig} with every default filled in. */
export type ResolvedBltConfig = Required<Omit<BltConfig, 'hash' | 'ffnDimMultiplier' | 'kvHeadsLocal'>> &
  Pick<BltConfig, 'hash' | 'ffnDimMultiplier' | 'kvHeadsLocal'>;

/**
 * blt-1b as released (facebook/blt-1b; the sizes transformers' BltConfig defaults to): local 1024
 * wide, 1 encoder and 9 decoder layers, global 2048 × 25, 16 heads everywhere, two queries per
 * patch, hash n-grams 3–8 into 500,002 buckets, RoPE θ 500,000.
 */
export const BLT_1B_CONFIG: BltConfig = {
  dimLocal: 1024,
  dimGlobal: 2048,
  encoderLayers: 1,
  globalLayers: 25,
  decoderLayers: 9,
  encoderHeads: 16,
  decoderHeads: 16,
  globalHeads: 16,
  window: 512,
  maxSeq: 24576,
  maxPatches: 4096,
  crossAttnK: 2,
  crossAttnHeads: 16,
  crossAttnAllLayersEncoder: false,
  crossAttnAllLayersDecoder: true,
  blockCausalLocal: true,
  blockCausalGlobal: true,
  pooling: 'max',
  hash: { functions: 1, groupSizes: [3, 4, 5, 6, 7, 8], vocab: 500002 },
  multipleOf: 256,
  normEps: 1e-5,
  ropeTheta: 500000,
};

const positive = (name: string, v: unknown) => {
  if (!(Number.isInteger(v) && (v as number) > 0))
    throw new PatchingError(`BltConfig: ${name} must be a positive integer, got ${v}`);
};

/** Fills defaults and checks every field; errors name the field, the expected and the actual value. */
export function resolveBltConfig(c: BltConfig): ResolvedBltConfig {
  const r: ResolvedBltConfig = {
    ...c,
    maxPatches: c.maxPatches ?? c.maxSeq,
    kvHeadsGlobal: c.kvHeadsGlobal ?? c.globalHeads,
    crossAttnK: c.crossAttnK ?? 1,
    crossAttnHeads: c.crossAttnHeads ?? c.encoderHeads,
    crossAttnAllLayersEncoder: c.crossAttnAllLayersEncoder ?? false,
    crossAttnAllLayersDecoder: c.crossAttnAllLayersDecoder ?? true,
    blockCausalLocal: c.blockCausalLocal ?? true,
    blockCausalGlobal: c.blockCausalGlobal ?? true,
    pooling: c.pooling ?? 'max',
    multipleOf: c.multipleOf ?? 256,
    normEps: c.normEps ?? 1e-5,
    ropeTheta: c.ropeTheta ?? 10000,
  };
  for (const k of [
    'dimLocal',
    'dimGlobal',
    'encoderLayers',
    'globalLayers',
    'decoderLayers',
    'encoderHeads',
    'decoderHeads',
    'globalHeads',
    'maxSeq',
    'maxPatches',
    'crossAttnK',
    'crossAttnHeads',
    'multipleOf',
  ] as const)
    positive(k, r[k]);
  if (!(Number.isInteger(r.window) && r.window >= 0))
    throw new PatchingError(`BltConfig: window must be an integer ≥ 0 (0 = no window), got ${r.window}`);
  const divides = (dim: string, d: number, heads: string, h: number) => {
    if (d % h || (d / h) % 2)
      throw new PatchingError(`BltConfig: ${dim} ${d} must be ${heads} ${h} × an even head size`);
  };
  divides('dimLocal', r.dimLocal, 'encoderHeads', r.encoderHeads);
  divides('dimLocal', r.dimLocal, 'decoderHeads', r.decoderHeads);
  divides('dimGlobal', r.dimGlobal, 'globalHeads', r.globalHeads);
  if (r.dimLocal % r.crossAttnHeads)
    throw new PatchingError(
      `BltConfig: dimLocal ${r.dimLocal} must be a multiple of crossAttnHeads ${r.crossAttnHeads}`,
    );
  for (const [kv, heads] of [
    ['kvHeadsLocal', [r.encoderHeads, r.decoderHeads]],
    ['kvHeadsGlobal', [r.globalHeads]],
  ] as const) {
    const v = kv === 'kvHeadsLocal' ? c.kvHeadsLocal : c.kvHeadsGlobal;
    if (v !== undefined && !(Number.isInteger(v) && v > 0 && heads.every((h) => h % v === 0)))
      throw new PatchingError(`BltConfig: ${kv} must divide ${heads.join(' and ')} heads, got ${v}`);
  }
  if (!['max', 'avg', 'min'].includes(r.pooling))
    throw new PatchingError(`BltConfig: pooling must be 'max', 'avg' or 'min', got '${r.pooling}'`);
  // The reference reshapes the decoder's patch states into k keys only through its projection,
  // which exists only when the widths differ: k > 1 with equal widths does not run there.
  if (r.dimGlobal === r.dimLocal && r.crossAttnK > 1)
    throw new PatchingError(
      `BltConfig: crossAttnK ${r.crossAttnK} needs dimGlobal ≠ dimLocal (the reference has no decoder projection otherwise), got both ${r.dimLocal}`,
    );
  if (r.ffnDimMultiplier !== undefined && !(r.ffnDimMultiplier > 0))
    throw new PatchingError(`BltConfig: ffnDimMultiplier must be > 0, got ${r.ffnDimMultiplier}`);
  if (!(r.normEps > 0) || !(r.ropeTheta > 0))
    throw new PatchingError(`BltConfig: normEps and ropeTheta must be > 0, got ${r.normEps}, ${r.ropeTheta}`);
  if (r.hash) checkHashConfig(r.hash);
  return r;
}

/** The reference's SwiGLU width: FeedForward(dim, 4·dim, multiple_of, ffn_dim_multiplier). */
export function ffnHidden(dim: number, multipleOf: number, multiplier?: number): number {
  let h = Math.floor((2 * 4 * dim) / 3);
  if (multiplier !== undefined) h = Math.floor(multiplier * h);
  return multipleOf * Math.ceil(h / multipleOf);
}

type Args = Record<string, unknown>;

/**
 * A {@link BltConfig} from the reference's ByteLatentTransformerArgs — the `args` of a released
 * model's config.json (or the object itself). Options this implementation does not have are
 * refused by name rather than ignored: no cross-attention (`cross_attn_encoder/decoder` false),
 * cross-attention windows, n-gram tables, absolute positions, several pooling modes at once,
 * different encoder and decoder widths.
 */
export function bltConfigFromReference(json: Args): BltConfig {
  const a = (json.args ?? json) as Args;
  const need = (cond: boolean, what: string) => {
    if (!cond) throw new PatchingError(`bltConfigFromReference: ${what} is not supported`);
  };
  const num = (k: string, fallback?: number): number => {
    const v = a[k] ?? fallback;
    if (typeof v !== 'number')
      throw new PatchingError(`bltConfigFromReference: '${k}' must be a number, got ${v}`);
    return v;
  };
  need(a.cross_attn_encoder === true && a.cross_attn_decoder === true, 'cross_attn_encoder/decoder = false');
  need(a.cross_attn_init_by_pooling !== false, 'cross_attn_init_by_pooling = false');
  need(
    a.cross_attn_window_encoder == null && a.cross_attn_window_decoder == null,
    'a cross-attention window',
  );
  need(a.use_rope !== false, 'use_rope = false');
  need(!a.encoder_enable_byte_ngrams && a.encoder_ngram_to_size_str == null, 'n-gram tables');
  need(!a.pm_size, 'pm_size > 0');
  need((a.vocab_size ?? 260) === 260, `vocab_size ${a.vocab_size}`);
  need(a.dim_token == null || a.dim_token === a.dim_local_encoder, `dim_token ${a.dim_token}`);
  const dim = num('dim_local_encoder', 512);
  need(num('dim_local_decoder', 512) === dim, 'dim_local_decoder ≠ dim_local_encoder');
  const pooling = String(a.downsampling_by_pooling ?? 'max');
  need(['max', 'avg', 'min'].includes(pooling), `downsampling_by_pooling '${pooling}'`);
  const sizes = a.encoder_hash_byte_group_size;
  const groupSizes =
    typeof sizes === 'string'
      ? sizes.split(',').filter(Boolean).map(Number)
      : (sizes as number[] | null | undefined);
  // The masks follow the attention implementation: only xformers has the sliding window and the
  // EOS blocks (local_block_causal; block_causal for the latent transformer when asked); sdpa and
  // flex_attention run plain causal attention in create_causal_mask.
  const impl = String(a.attn_impl ?? 'sdpa');
  need(['xformers', 'sdpa', 'flex_attention'].includes(impl), `attn_impl '${impl}'`);
  const xformers = impl === 'xformers';
  const kv = a.n_kv_heads as number | null | undefined;
  const kvGlobal = a.n_kv_heads_global as number | null | undefined;
  return {
    dimLocal: dim,
    dimGlobal: num('dim_global', 512),
    encoderLayers: num('n_layers_local_encoder', 8),
    globalLayers: num('n_layers_global', 8),
    decoderLayers: num('n_layers_local_decoder', 8),
    encoderHeads: num('n_heads_local_encoder', 8),
    decoderHeads: num('n_heads_local_decoder', 8),
    globalHeads: num('n_heads_global', 8),
    ...(kv ? { kvHeadsLocal: kv } : {}),
    ...(kvGlobal ? { kvHeadsGlobal: kvGlobal } : {}),
    window: xformers ? ((a.local_attention_window_len as number | null) ?? 0) : 0,
    maxSeq: (a.max_encoder_seq_length as number | null) ?? num('max_seqlen', 1024),
    maxPatches: num('max_seqlen', 1024),
    crossAttnK: (a.cross_attn_k as number | null) ?? 1,
    crossAttnHeads: num('cross_attn_nheads'),
    crossAttnAllLayersEncoder: a.cross_attn_all_layers_encoder === true,
    crossAttnAllLayersDecoder: a.cross_attn_all_layers_decoder === true,
    blockCausalLocal: xformers,
    blockCausalGlobal: xformers && a.attn_bias_type === 'block_causal',
    pooling: pooling as BltPooling,
    ...(groupSizes?.length
      ? {
          hash: {
            functions: num('encoder_hash_byte_group_nb_functions', 3),
            groupSizes,
            vocab: num('encoder_hash_byte_group_vocab', 30000),
          },
        }
      : {}),
    multipleOf: num('multiple_of', 256),
    ...(a.ffn_dim_multiplier != null ? { ffnDimMultiplier: num('ffn_dim_multiplier') } : {}),
    normEps: num('norm_eps', 1e-5),
    ropeTheta: num('rope_theta', 10000),
  };
}
