// BLT's entropy model: a small causal byte transformer whose next-byte entropies decide patch
// boundaries. Built on @tessera/nn's CausalLM (RoPE, SwiGLU, RMSNorm, sliding-window attention).
import { CausalLM, type KVCache, type ModuleOptions } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { BOS_ID, OFFSET, VOCAB_SIZE } from './bytes.js';
import { PatchingError } from './errors.js';
import { convertBlockParam, type HostTensor } from './reference-names.js';

/** The entropy model's shape, in the reference's terms (LMTransformerArgs). */
export interface EntropyModelConfig {
  dim: number;
  layers: number;
  heads: number;
  /** Sliding attention window (reference: 512). */
  window: number;
  /** Longest context (RoPE table); reference max_seqlen 8192. */
  maxSeq: number;
  /** SwiGLU hidden size (reference's released model: 2048 for dim 768). */
  hidden?: number;
  normEps?: number;
  ropeTheta?: number;
}

/** The reference entropy model (dim 768, 14 layers, 12 heads, FFN 2048, window 512, vocab 260). */
export const REFERENCE_ENTROPY_CONFIG: EntropyModelConfig = {
  dim: 768,
  layers: 14,
  heads: 12,
  window: 512,
  maxSeq: 8192,
  hidden: 2048,
  normEps: 1e-5,
  ropeTheta: 10000,
};

/**
 * Shannon entropy (nats) of the next-byte distribution at every position of byte ids [B, S]:
 * [B, S]. Position t's entropy is the uncertainty about byte t + 1.
 */
export function entropyFromLogits(logits: T.Tensor): T.Tensor {
  const logp = T.logSoftmax(logits, -1);
  return T.neg(T.sum(T.mul(T.exp(logp), logp), -1));
}

/** A causal byte LM over BLT's 260 ids that reports next-byte entropies. */
export class EntropyModel extends CausalLM {
  constructor(
    readonly entropyConfig: EntropyModelConfig,
    options: ModuleOptions = {},
  ) {
    const c = entropyConfig;
    if (!(c.dim > 0 && c.layers > 0 && c.heads > 0 && c.dim % c.heads === 0))
      throw new PatchingError(`EntropyModel: dim ${c.dim} must be a positive multiple of heads ${c.heads}`);
    super(
      {
        vocabSize: VOCAB_SIZE,
        dim: c.dim,
        layers: c.layers,
        heads: c.heads,
        hidden: c.hidden,
        maxSeq: c.maxSeq,
        window: c.window,
        ropeBase: c.ropeTheta,
        normEps: c.normEps ?? 1e-5,
      },
      options,
    );
  }

  /** Entropies [B, S] of byte ids [B, S] (i32), continuing from `caches` when given. */
  entropies(ids: T.Tensor, caches?: KVCache[]): T.Tensor {
    return T.noGrad(() => entropyFromLogits(this.forward(ids, caches)));
  }
}

/** Options of {@link byteEntropies}. */
export interface EntropyOptions {
  /** Start a fresh context after every newline, as the paper does for its figures. Default false. */
  resetAtNewlines?: boolean;
  /** Windows per forward pass. Default 8. */
  batchSize?: number;
}

/**
 * Per-byte entropies of `bytes` under the model, computed as the reference's patcher does: BOS is
 * prepended, the ids are cut into windows of at most `maxSeq` (or at newlines), and windows run in
 * batches. Returns one entropy per id (BOS first): entropy i is about id i + 1.
 */
export async function byteEntropies(
  model: EntropyModel,
  bytes: Uint8Array,
  options: EntropyOptions = {},
): Promise<Float32Array> {
  const ids = new Int32Array(bytes.length + 1);
  ids[0] = BOS_ID;
  for (let i = 0; i < bytes.length; i++) ids[i + 1] = bytes[i] + OFFSET;
  const limit = model.entropyConfig.maxSeq;
  const windows: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < ids.length; i++) {
    const newline = options.resetAtNewlines && i > start && ids[i - 1] === 10 + OFFSET;
    if (i - start === limit || newline) {
      windows.push([start, i]);
      start = i;
    }
  }
  if (start < ids.length) windows.push([start, ids.length]);
  const out = new Float32Array(ids.length);
  const backend = model.parameters()[0].backend;
  const batch = options.batchSize ?? 8;
  // Equal-length windows batch together; ragged ones (the last, or newline-cut) run alone.
  for (let w = 0; w < windows.length; ) {
    const len = windows[w][1] - windows[w][0];
    let n = 1;
    while (n < batch && w + n < windows.length && windows[w + n][1] - windows[w + n][0] === len) n++;
    const rows = new Int32Array(n * len);
    for (let b = 0; b < n; b++) rows.set(ids.subarray(windows[w + b][0], windows[w + b][1]), b * len);
    const input = T.tensor(rows, { shape: [n, len], dtype: 'i32', backend });
    const h = model.entropies(input);
    const values = (await h.data()) as Float32Array;
    input.dispose();
    h.dispose();
    for (let b = 0; b < n; b++) out.set(values.subarray(b * len, (b + 1) * len), windows[w + b][0]);
    w += n;
  }
  return out;
}

/**
 * Incremental entropies: bytes arrive in pieces, each is fed once through the KV caches (earlier
 * bytes are never recomputed), and contexts restart exactly where {@link byteEntropies} cuts its
 * windows — at `maxSeq` ids, and after newlines with `resetAtNewlines` — so the values equal the
 * batch ones (up to f32 rounding).
 */
export class EntropyStream {
  private caches: KVCache[];
  private length = 0;
  private started = false;
  private lastId = -1;

  constructor(
    readonly model: EntropyModel,
    readonly options: Pick<EntropyOptions, 'resetAtNewlines'> = {},
  ) {
    this.caches = model.newCaches();
  }

  /** Entropies of the ids this piece adds (the first call also returns BOS's). */
  async push(bytes: Uint8Array): Promise<Float32Array> {
    const ids: number[] = this.started ? [] : [BOS_ID];
    this.started = true;
    for (const b of bytes) ids.push(b + OFFSET);
    const out = new Float32Array(ids.length);
    const backend = this.model.parameters()[0].backend;
    let i = 0;
    while (i < ids.length) {
      // The run that fits the current context: up to maxSeq, and up to the first id after a newline.
      if (
        this.length === this.model.entropyConfig.maxSeq ||
        (this.options.resetAtNewlines && this.lastId === 10 + OFFSET && this.length > 0)
      )
        this.restart();
      let j = i;
      while (j < ids.length && this.length + (j - i) < this.model.entropyConfig.maxSeq) {
        j++;
        if (this.options.resetAtNewlines && ids[j - 1] === 10 + OFFSET) break;
      }
      const input = T.tensor([ids.slice(i, j)], { dtype: 'i32', backend });
      const h = this.model.entropies(input, this.caches);
      out.set((await h.data()) as Float32Array, i);
      input.dispose();
      h.dispose();
      this.length += j - i;
      this.lastId = ids[j - 1];
      i = j;
    }
    return out;
  }

  private restart(): void {
    for (const c of this.caches) c.dispose();
    this.caches = this.model.newCaches();
    this.length = 0;
  }

  /** Frees the caches. */
  dispose(): void {
    for (const c of this.caches) c.dispose();
  }
}

/**
 * Renames a reference entropy model's state dict (facebookresearch/blt LMTransformer, Meta's
 * interleaved RoPE) to this model's names (Hugging Face LLaMA, rotate-half RoPE), permuting wq/wk
 * rows the way transformers' convert_llama_weights_to_hf does. Tensors are host arrays.
 */
export function fromReferenceNames(
  state: Record<string, HostTensor>,
  config: EntropyModelConfig,
): Record<string, HostTensor> {
  const top: Record<string, string> = {
    'tok_embeddings.weight': 'model.embed_tokens.weight',
    'norm.weight': 'model.norm.weight',
    'output.weight': 'lm_head.weight',
  };
  const out: Record<string, HostTensor> = {};
  for (const [key, t] of Object.entries(state)) {
    const layer = /^layers\.(\d+)\.(.+)$/.exec(key);
    const block = layer && convertBlockParam(layer[2], t, config.heads, config.heads, 'fromReferenceNames');
    if (block) out[`model.layers.${layer[1]}.${block[0]}`] = block[1];
    else if (top[key]) out[top[key]] = t;
    else
      throw new PatchingError(
        `fromReferenceNames: '${key}' is not a parameter of the reference entropy model`,
      );
  }
  return out;
}
