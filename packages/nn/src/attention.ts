import * as T from '@tessera/tensor';
import { Linear } from './layers.js';
import { Module, type ModuleOptions } from './module.js';
import type { RoPE } from './rope.js';

/** Configuration of {@link MultiHeadAttention}. */
export interface AttentionConfig {
  dim: number;
  heads: number;
  /** Key/value heads for grouped-query attention (default: `heads`). */
  kvHeads?: number;
  /** Biases on the projections (default false, as LLaMA). */
  bias?: boolean;
  /** Each position sees only earlier ones (default false). */
  causal?: boolean;
  /** Sliding window: each position sees only the last `window` ones (0 = all). */
  window?: number;
  /** Rotary embeddings for queries and keys. */
  rope?: RoPE;
}

/** Keys and values of earlier positions, for incremental decoding. Owns its tensors. */
export class KVCache {
  k?: T.Tensor;
  v?: T.Tensor;
  /** Positions cached so far. */
  get length(): number {
    return this.k?.shape[2] ?? 0;
  }
  /** Appends [B, Hkv, S, D] keys and values; returns the whole cached sequence. */
  append(k: T.Tensor, v: T.Tensor): { k: T.Tensor; v: T.Tensor } {
    const nk = T.keep(this.k ? T.concat([this.k, k], 2) : k.clone());
    const nv = T.keep(this.v ? T.concat([this.v, v], 2) : v.clone());
    this.dispose();
    this.k = nk;
    this.v = nv;
    return { k: nk, v: nv };
  }
  dispose(): void {
    this.k?.dispose();
    this.v?.dispose();
    this.k = this.v = undefined;
  }
}

/** Per-call options of {@link MultiHeadAttention.forward}. */
export interface AttentionCall {
  /** Keys and values come from here (cross-attention) instead of the input. */
  context?: T.Tensor;
  /** [B, Sk] u8, 1 where a key is padding. */
  keyPaddingMask?: T.Tensor;
  /** Reuse and extend cached keys and values (self-attention only). */
  cache?: KVCache;
  /**
   * [B, past + S] i32 document ids of every key position, cached ones included (self-attention
   * only): a position attends only within its own document, as for packed sequences.
   */
  segments?: T.Tensor;
}

/**
 * Multi-head attention with Hugging Face LLaMA names (`q_proj`, `k_proj`, `v_proj`, `o_proj`):
 * causal or not, sliding window, key padding, cross-attention, grouped-query heads, rotary
 * embeddings, and a KV cache. The core is the fused `scaledDotProductAttention` kernel.
 */
export class MultiHeadAttention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;

  constructor(
    readonly config: AttentionConfig,
    options: ModuleOptions = {},
  ) {
    super();
    const { dim, heads, kvHeads = heads, bias = false } = config;
    if (dim % heads)
      throw new RangeError(`MultiHeadAttention: dim ${dim} must be a multiple of heads ${heads}`);
    if (heads % kvHeads)
      throw new RangeError(`MultiHeadAttention: heads ${heads} must be a multiple of kvHeads ${kvHeads}`);
    this.heads = heads;
    this.kvHeads = kvHeads;
    this.headDim = dim / heads;
    const o = { ...options, bias };
    this.q_proj = this.child('q_proj', new Linear(dim, dim, o));
    this.k_proj = this.child('k_proj', new Linear(dim, kvHeads * this.headDim, o));
    this.v_proj = this.child('v_proj', new Linear(dim, kvHeads * this.headDim, o));
    this.o_proj = this.child('o_proj', new Linear(dim, dim, o));
  }

  /** [B, S, heads·D] → [B, heads, S, D], as a view. */
  private split(x: T.Tensor, heads: number): T.Tensor {
    const [B, S] = x.shape;
    return T.transpose(T.reshape(x, [B, S, heads, this.headDim]), 1, 2);
  }

  /** x [B, S, dim] → [B, S, dim]. */
  forward(x: T.Tensor, call: AttentionCall = {}): T.Tensor {
    const [B, S] = x.shape;
    if (call.context && call.segments)
      throw new RangeError('MultiHeadAttention: segments are for self-attention; got them with a context');
    const source = call.context ?? x;
    const past = call.cache?.length ?? 0;
    let q = this.split(this.q_proj.forward(x), this.heads);
    let k = this.split(this.k_proj.forward(source), this.kvHeads);
    let v = this.split(this.v_proj.forward(source), this.kvHeads);
    const rope = this.config.rope;
    if (rope && !call.context) {
      q = rope.apply(q, past);
      k = rope.apply(k, past);
    }
    if (call.cache && !call.context) ({ k, v } = call.cache.append(k, v));
    const out = T.scaledDotProductAttention(q, k, v, {
      causal: (this.config.causal ?? false) && !call.context,
      window: this.config.window ?? 0,
      qOffset: call.context ? 0 : past,
      keyPaddingMask: call.keyPaddingMask,
      segments: call.segments,
    });
    return this.o_proj.forward(T.reshape(T.transpose(out, 1, 2), [B, S, this.heads * this.headDim]));
  }
}
