import {
  type AttentionCall,
  type CausalLMConfig,
  hiddenOf,
  LayerNorm,
  Module,
  ModuleList,
  type ModuleOptions,
  MultiHeadAttention,
  RMSNorm,
  type RoPE,
  SwiGLU,
} from '@tessera/nn';
import * as T from '@tessera/tensor';
import { needInt } from './check.js';
import { MoEError } from './errors.js';

/** Shape of a {@link MoTBlock}: nn's transformer block fields, plus the number of modalities. */
export interface MoTConfig {
  dim: number;
  heads: number;
  /** Grouped-query key/value heads (default: heads). */
  kvHeads?: number;
  /** SwiGLU hidden size (default: LLaMA's, as nn's `hiddenOf`). */
  hidden?: number;
  /** `rms` (default, LLaMA) or `layer`. */
  norm?: 'rms' | 'layer';
  /** Sliding-window attention (0 = full causal). */
  window?: number;
  normEps?: number;
  /** Modalities M: each has its own norms, attention projections and FFN. */
  modalities: number;
}

type Norm = RMSNorm | LayerNorm;

/**
 * The weights of one modality, named as nn's `TransformerBlock` (`input_layernorm`,
 * `self_attn.{q,k,v,o}_proj`, `post_attention_layernorm`, `mlp`), so a dense block's state dict
 * loads into any modality under the prefix `modalities.<m>.`.
 */
export class MoTModality extends Module {
  readonly input_layernorm: Norm;
  /** Only its projections are used: attention itself is global, over every modality's tokens. */
  readonly self_attn: MultiHeadAttention;
  readonly post_attention_layernorm: Norm;
  readonly mlp: SwiGLU;
  constructor(c: MoTConfig, options: ModuleOptions = {}) {
    super();
    const norm = (): Norm =>
      c.norm === 'layer'
        ? new LayerNorm(c.dim, c.normEps ?? 1e-5, options)
        : new RMSNorm(c.dim, c.normEps ?? 1e-6, options);
    this.input_layernorm = this.child('input_layernorm', norm());
    this.self_attn = this.child(
      'self_attn',
      new MultiHeadAttention({ dim: c.dim, heads: c.heads, kvHeads: c.kvHeads }, options),
    );
    this.post_attention_layernorm = this.child('post_attention_layernorm', norm());
    // hiddenOf reads only dim and hidden, which MoTConfig shares with CausalLMConfig.
    this.mlp = this.child('mlp', new SwiGLU(c.dim, hiddenOf(c as unknown as CausalLMConfig), options));
  }
}

/**
 * Where each modality's tokens are: the flattened token indices sorted by modality (stable) and the
 * inverse permutation, so a block gathers once, runs each modality on a contiguous run of rows, and
 * scatters back once. Build it with {@link modalityRouting}; one serves every layer of a stack.
 */
export interface ModalityRouting {
  /** [batch, seq] of the ids it was built from. */
  readonly shape: [number, number];
  /** i32 [tokens]: token indices grouped by modality, in sequence order within each. */
  readonly order: T.Tensor;
  /** i32 [tokens]: position of each token in `order`. */
  readonly inverse: T.Tensor;
  /** Tokens of each modality, in modality order. */
  readonly counts: number[];
}

/**
 * Reads i32 modality ids [batch, seq] and groups their tokens by modality. Throws a `MoEError`
 * naming `modality`, the expected range [0, modalities − 1] and the first id outside it.
 */
export async function modalityRouting(modality: T.Tensor, modalities: number): Promise<ModalityRouting> {
  needInt('modalityRouting: modalities', modalities, 1);
  if (modality.rank !== 2 || modality.dtype !== 'i32') {
    throw new MoEError(
      `modalityRouting: modality must be i32 [batch, seq], got ${modality.dtype}[${modality.shape.join(', ')}]`,
    );
  }
  const ids = (await modality.data()) as Int32Array;
  const bad = ids.findIndex((m) => m < 0 || m >= modalities);
  if (bad >= 0) {
    throw new MoEError(
      `modalityRouting: modality ids must be integers in [0, ${modalities - 1}], got ${ids[bad]} at token ${bad}`,
    );
  }
  const counts = new Array<number>(modalities).fill(0);
  for (const m of ids) counts[m]++;
  const start = counts.map((_, m) => counts.slice(0, m).reduce((a, b) => a + b, 0));
  const order = new Int32Array(ids.length);
  const inverse = new Int32Array(ids.length);
  ids.forEach((m, t) => {
    const at = start[m]++;
    order[at] = t;
    inverse[t] = at;
  });
  const backend = modality.backend;
  return {
    shape: [modality.shape[0], modality.shape[1]],
    order: T.tensor(order, { dtype: 'i32', backend }),
    inverse: T.tensor(inverse, { dtype: 'i32', backend }),
    counts,
  };
}

/**
 * Mixture-of-Transformers block (Liang et al. 2024, arXiv 2411.04996): a pre-norm LLaMA block whose
 * norms, attention projections (q, k, v, o) and SwiGLU FFN are untied per modality, with one global
 * causal self-attention over the whole mixed sequence. Tokens go to their modality's weights by id
 * (no learned router): `x + o_m(attn(q_m, k_m, v_m of norm_m(x)))`, then `h + mlp_m(norm2_m(h))`.
 * With every modality's weights equal it is nn's `TransformerBlock`.
 */
export class MoTBlock extends Module {
  /** Per-modality weights, `modalities.0`, `modalities.1`, … */
  readonly modalities: MoTModality[];
  readonly dim: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;

  constructor(
    readonly config: MoTConfig,
    readonly rope?: RoPE,
    options: ModuleOptions = {},
  ) {
    super();
    needInt('MoTBlock: modalities', config.modalities, 1);
    this.dim = config.dim;
    this.heads = config.heads;
    this.kvHeads = config.kvHeads ?? config.heads;
    needInt('MoTBlock: heads', this.heads, 1);
    needInt('MoTBlock: kvHeads', this.kvHeads, 1, this.heads);
    if (this.dim % this.heads || this.heads % this.kvHeads) {
      throw new MoEError(
        `MoTBlock: dim must be a multiple of heads and heads of kvHeads, got dim ${this.dim}, heads ${this.heads}, kvHeads ${this.kvHeads}`,
      );
    }
    this.headDim = this.dim / this.heads;
    const list = this.child('modalities', new ModuleList());
    this.modalities = Array.from({ length: config.modalities }, (_, m) =>
      list.add(String(m), new MoTModality(config, options)),
    );
  }

  /**
   * x [batch, seq, dim] with i32 modality ids [batch, seq] → [batch, seq, dim]. Reads the ids (see
   * {@link modalityRouting}); in a stack, build the routing once and call {@link forwardRouted}.
   */
  async forward(
    x: T.Tensor,
    modality: T.Tensor,
    call: Omit<AttentionCall, 'context'> = {},
  ): Promise<T.Tensor> {
    this.checkInput(x, modality.shape);
    // The routing's index tensors stay alive: the backward pass of the gathers reads them. Like any
    // intermediate, a surrounding `tidy` frees them.
    return this.forwardRouted(x, await modalityRouting(modality, this.modalities.length), call);
  }

  /** As {@link forward}, with the modality ids already grouped. */
  forwardRouted(x: T.Tensor, routing: ModalityRouting, call: Omit<AttentionCall, 'context'> = {}): T.Tensor {
    this.checkInput(x, routing.shape);
    if (routing.counts.length !== this.modalities.length) {
      throw new MoEError(
        `MoTBlock.forwardRouted: routing must have ${this.modalities.length} modalities, got ${routing.counts.length}`,
      );
    }
    if (routing.order.backend !== x.backend) {
      throw new MoEError(
        `MoTBlock.forward: modality must be on x's backend ${x.backend.name}, got ${routing.order.backend.name}`,
      );
    }
    if ((call as AttentionCall).context)
      throw new MoEError(
        'MoTBlock.forward: call.context must be absent (self-attention only), got a context',
      );
    const [B, S, D] = x.shape;
    const kvDim = this.kvHeads * this.headDim;
    // Sequence order → modality order, once: each modality then owns a contiguous run of rows.
    const xs = T.indexSelect(T.reshape(x, [B * S, D]), 0, routing.order);
    const qkv = this.perModality(routing, xs, (m, rows) => {
      const n = m.input_layernorm.forward(rows);
      const a = m.self_attn;
      return T.concat([a.q_proj.forward(n), a.k_proj.forward(n), a.v_proj.forward(n)], -1);
    });
    const [q0, k0, v0] = T.split(T.indexSelect(qkv, 0, routing.inverse), [D, kvDim, kvDim], -1);
    const split = (t: T.Tensor, h: number) => T.transpose(T.reshape(t, [B, S, h, this.headDim]), 1, 2);
    let q = split(q0, this.heads);
    let k = split(k0, this.kvHeads);
    let v = split(v0, this.kvHeads);
    const past = call.cache?.length ?? 0;
    if (this.rope) {
      q = this.rope.apply(q, past);
      k = this.rope.apply(k, past);
    }
    if (call.cache) ({ k, v } = call.cache.append(k, v));
    const attn = T.scaledDotProductAttention(q, k, v, {
      causal: true,
      window: this.config.window ?? 0,
      qOffset: past,
      keyPaddingMask: call.keyPaddingMask,
      segments: call.segments,
    });
    const as = T.indexSelect(T.reshape(T.transpose(attn, 1, 2), [B * S, D]), 0, routing.order);
    const out = this.perModality(routing, T.concat([xs, as], -1), (m, rows) => {
      const [xr, ar] = T.split(rows, D, -1);
      const h = T.add(xr, m.self_attn.o_proj.forward(ar));
      return T.add(h, m.mlp.forward(m.post_attention_layernorm.forward(h)));
    });
    return T.reshape(T.indexSelect(out, 0, routing.inverse), [B, S, D]);
  }

  /** Runs `f` on each modality's run of rows (in modality order) and concatenates the results. */
  private perModality(
    routing: ModalityRouting,
    rows: T.Tensor,
    f: (m: MoTModality, rows: T.Tensor) => T.Tensor,
  ): T.Tensor {
    const parts: T.Tensor[] = [];
    let at = 0;
    routing.counts.forEach((n, m) => {
      if (n > 0) parts.push(f(this.modalities[m], T.narrow(rows, 0, at, n)));
      at += n;
    });
    return parts.length === 1 ? parts[0] : T.concat(parts, 0);
  }

  private checkInput(x: T.Tensor, ids: readonly number[]): void {
    if (x.rank !== 3 || x.shape[2] !== this.dim || (x.dtype !== 'f32' && x.dtype !== 'f16')) {
      throw new MoEError(
        `MoTBlock.forward: x must be f32 [batch, seq, ${this.dim}], got ${x.dtype}[${x.shape.join(', ')}]`,
      );
    }
    if (ids.length !== 2 || ids[0] !== x.shape[0] || ids[1] !== x.shape[1]) {
      throw new MoEError(
        `MoTBlock.forward: modality must be [${x.shape[0]}, ${x.shape[1]}] (x's batch and seq), got [${ids.join(', ')}]`,
      );
    }
  }
}
