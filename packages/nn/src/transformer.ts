import * as T from '@tessera/tensor';
import { type AttentionCall, KVCache, MultiHeadAttention } from './attention.js';
import { Embedding, LayerNorm, Linear, RMSNorm, SwiGLU } from './layers.js';
import { Module, type ModuleOptions } from './module.js';
import { RoPE } from './rope.js';

/** Shape of a {@link CausalLM}. */
export interface CausalLMConfig {
  vocabSize: number;
  dim: number;
  layers: number;
  heads: number;
  /** Grouped-query key/value heads (default: heads). */
  kvHeads?: number;
  /** SwiGLU hidden size (default: 4·dim rounded to a multiple of 8, ×2/3 as LLaMA). */
  hidden?: number;
  /** Longest sequence (RoPE table). */
  maxSeq: number;
  /** `rms` (default, LLaMA) or `layer`. */
  norm?: 'rms' | 'layer';
  /** Sliding-window attention (0 = full causal). */
  window?: number;
  ropeBase?: number;
  normEps?: number;
}

type Norm = RMSNorm | LayerNorm;
const makeNorm = (c: CausalLMConfig, o: ModuleOptions): Norm =>
  c.norm === 'layer' ? new LayerNorm(c.dim, c.normEps ?? 1e-5, o) : new RMSNorm(c.dim, c.normEps ?? 1e-6, o);

/** Pre-norm block: x + attn(norm(x)), then + mlp(norm(x)); LLaMA names. */
export class TransformerBlock extends Module {
  readonly input_layernorm: Norm;
  readonly self_attn: MultiHeadAttention;
  readonly post_attention_layernorm: Norm;
  readonly mlp: SwiGLU;
  constructor(c: CausalLMConfig, rope: RoPE, options: ModuleOptions = {}) {
    super();
    this.input_layernorm = this.child('input_layernorm', makeNorm(c, options));
    this.self_attn = this.child(
      'self_attn',
      new MultiHeadAttention(
        { dim: c.dim, heads: c.heads, kvHeads: c.kvHeads, causal: true, window: c.window, rope },
        options,
      ),
    );
    this.post_attention_layernorm = this.child('post_attention_layernorm', makeNorm(c, options));
    this.mlp = this.child('mlp', new SwiGLU(c.dim, hiddenOf(c), options));
  }
  forward(x: T.Tensor, call: AttentionCall = {}): T.Tensor {
    const h = T.add(x, this.self_attn.forward(this.input_layernorm.forward(x), call));
    return T.add(h, this.mlp.forward(this.post_attention_layernorm.forward(h)));
  }
}

/** LLaMA's SwiGLU width: 2/3 of 4·dim, rounded up to a multiple of 8. */
export const hiddenOf = (c: CausalLMConfig): number => c.hidden ?? Math.ceil((8 * c.dim) / 3 / 8) * 8;

/** The decoder stack under `model.` (embeddings, blocks, final norm). */
class Decoder extends Module {
  readonly embed_tokens: Embedding;
  readonly layers: TransformerBlock[];
  readonly norm: Norm;
  constructor(c: CausalLMConfig, rope: RoPE, options: ModuleOptions) {
    super();
    this.embed_tokens = this.child('embed_tokens', new Embedding(c.vocabSize, c.dim, options));
    const list = this.child('layers', new ModuleList());
    this.layers = Array.from({ length: c.layers }, (_, i) =>
      list.add(String(i), new TransformerBlock(c, rope, options)),
    );
    this.norm = this.child('norm', makeNorm(c, options));
  }
}

/** An ordered container whose children are named 0, 1, 2, … */
export class ModuleList extends Module {
  add<M extends Module>(name: string, m: M): M {
    return this.child(name, m);
  }
}

/** Options of {@link CausalLM.generate}. */
export interface GenerateOptions {
  /** 0 = greedy (default 1). */
  temperature?: number;
  generator?: T.Generator;
}

/**
 * A small decoder-only causal language model, generic over the vocabulary (bytes: 256), with Hugging
 * Face LLaMA parameter names (`model.embed_tokens.weight`, `model.layers.0.self_attn.q_proj.weight`, …,
 * `lm_head.weight`), RoPE, SwiGLU, RMSNorm, and KV-cached generation.
 */
export class CausalLM extends Module {
  readonly model: Decoder;
  readonly lm_head: Linear;
  readonly rope: RoPE;
  constructor(
    readonly config: CausalLMConfig,
    options: ModuleOptions = {},
  ) {
    super();
    this.rope = new RoPE(config.dim / config.heads, config.maxSeq, config.ropeBase ?? 10000, options.backend);
    this.model = this.child('model', new Decoder(config, this.rope, options));
    this.lm_head = this.child(
      'lm_head',
      new Linear(config.dim, config.vocabSize, { ...options, bias: false }),
    );
  }

  /** ids [B, S] (i32) → logits [B, S, vocab]. With `caches` (one per layer), continues from them. */
  forward(ids: T.Tensor, caches?: KVCache[]): T.Tensor {
    let h = this.model.embed_tokens.forward(ids);
    this.model.layers.forEach((layer, i) => {
      h = layer.forward(h, { cache: caches?.[i] });
    });
    return this.lm_head.forward(this.model.norm.forward(h));
  }

  /** Mean next-token cross-entropy of `ids` [B, S]: position t predicts t + 1. */
  loss(ids: T.Tensor): T.Tensor {
    const S = ids.shape[1];
    const logits = this.forward(T.narrow(ids, 1, 0, S - 1));
    return T.crossEntropy(logits, T.contiguous(T.narrow(ids, 1, 1, S - 1)));
  }

  /** One fresh KV cache per layer. */
  newCaches(): KVCache[] {
    return this.model.layers.map(() => new KVCache());
  }

  /**
   * Continues `prompt` (i32 [1, S]) by `steps` tokens, feeding one token at a time through the KV
   * caches. When the context reaches `maxSeq`, the caches restart from its last half.
   */
  async generate(prompt: T.Tensor, steps: number, options: GenerateOptions = {}): Promise<number[]> {
    const { temperature = 1, generator } = options;
    const backend = prompt.backend;
    const context = [...((await prompt.data()) as Int32Array)];
    const maxSeq = this.config.maxSeq;
    let caches = this.newCaches();
    let pending = context.slice(-maxSeq);
    const out: number[] = [];
    try {
      for (let s = 0; s < steps; s++) {
        if (caches[0].length + pending.length > maxSeq) {
          for (const c of caches) c.dispose();
          caches = this.newCaches();
          pending = context.slice(-Math.floor(maxSeq / 2));
        }
        const input = T.tensor([pending], { dtype: 'i32', backend });
        const next = T.tidy(() =>
          T.noGrad(() => {
            const logits = T.reshape(T.narrow(this.forward(input, caches), 1, pending.length - 1, 1), [-1]);
            if (temperature === 0) return T.argmax(logits);
            const probs = T.softmax(T.div(logits, temperature));
            // Inverse-CDF sampling with one uniform draw.
            const u = T.rand([1], { backend, generator });
            return T.sum(T.cast(T.lt(T.cumsum(probs, 0), u), 'i32'));
          }),
        );
        input.dispose();
        const token = Math.min(await next.item(), this.config.vocabSize - 1);
        next.dispose();
        out.push(token);
        context.push(token);
        pending = [token];
      }
    } finally {
      for (const c of caches) c.dispose();
    }
    return out;
  }

  override dispose(): void {
    super.dispose();
    this.rope.dispose();
  }
}
