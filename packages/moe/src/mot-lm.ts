import {
  type CausalLMConfig,
  Embedding,
  Linear,
  Module,
  ModuleList,
  type ModuleOptions,
  RMSNorm,
  RoPE,
} from '@tessera/nn';
import * as T from '@tessera/tensor';
import { needInt } from './check.js';
import { MoEError } from './errors.js';
import { type ModalityRouting, MoTBlock, modalityRouting } from './mot.js';

/** Shape of a {@link MoTCausalLM}: nn's {@link CausalLMConfig} plus the number of modalities. */
export interface MoTCausalLMConfig extends CausalLMConfig {
  /** Modalities M: every block's norms, attention projections and FFN are untied per modality. */
  modalities: number;
}

/**
 * A Mixture-of-Transformers causal language model (Liang et al. 2024): a token embedding shared by
 * all modalities (one vocabulary, as the paper's Chameleon setting), a stack of {@link MoTBlock}s
 * (per-modality weights, one global causal attention), a shared final RMSNorm and `lm_head`. Each
 * token's modality id picks its weights; there is no learned router. With M = 1 it is nn's
 * `CausalLM` (same parameter names under `model.layers.N.modalities.0.`).
 */
export class MoTCausalLM extends Module {
  readonly embed_tokens: Embedding;
  readonly layers: MoTBlock[];
  readonly norm: RMSNorm;
  readonly lm_head: Linear;
  readonly rope: RoPE;
  constructor(
    readonly config: MoTCausalLMConfig,
    options: ModuleOptions = {},
  ) {
    super();
    needInt('MoTCausalLM: layers', config.layers, 1);
    needInt('MoTCausalLM: vocabSize', config.vocabSize, 1);
    this.rope = new RoPE(config.dim / config.heads, config.maxSeq, config.ropeBase ?? 10000, options.backend);
    this.embed_tokens = this.child('embed_tokens', new Embedding(config.vocabSize, config.dim, options));
    const list = this.child('layers', new ModuleList());
    this.layers = Array.from({ length: config.layers }, (_, i) =>
      list.add(String(i), new MoTBlock(config, this.rope, options)),
    );
    this.norm = this.child('norm', new RMSNorm(config.dim, config.normEps ?? 1e-6, options));
    this.lm_head = this.child(
      'lm_head',
      new Linear(config.dim, config.vocabSize, { ...options, bias: false }),
    );
  }

  /** ids [B, S] (i32) with their modality routing (see {@link modalityRouting}) → logits [B, S, vocab]. */
  forwardRouted(ids: T.Tensor, routing: ModalityRouting): T.Tensor {
    let h = this.embed_tokens.forward(ids);
    for (const block of this.layers) h = block.forwardRouted(h, routing);
    return this.lm_head.forward(this.norm.forward(h));
  }

  /** ids [B, S] (i32) with i32 modality ids [B, S] → logits [B, S, vocab]. */
  async forward(ids: T.Tensor, modality: T.Tensor): Promise<T.Tensor> {
    this.checkIds(ids, modality);
    return this.forwardRouted(ids, await modalityRouting(modality, this.config.modalities));
  }

  /**
   * Next-token cross-entropy of `ids` [B, S]: position t (run with the weights of modality[t])
   * predicts t + 1. `reduction` 'none' gives [B, S − 1], e.g. for a loss per target modality.
   */
  async loss(ids: T.Tensor, modality: T.Tensor, reduction: 'mean' | 'none' = 'mean'): Promise<T.Tensor> {
    this.checkIds(ids, modality);
    const S = ids.shape[1];
    const routing = await modalityRouting(
      T.contiguous(T.narrow(modality, 1, 0, S - 1)),
      this.config.modalities,
    );
    const logits = this.forwardRouted(T.narrow(ids, 1, 0, S - 1), routing);
    return T.crossEntropy(logits, T.contiguous(T.narrow(ids, 1, 1, S - 1)), { reduction });
  }

  override dispose(): void {
    super.dispose();
    this.rope.dispose();
  }

  private checkIds(ids: T.Tensor, modality: T.Tensor): void {
    if (ids.rank !== 2 || ids.dtype !== 'i32')
      throw new MoEError(
        `MoTCausalLM: ids must be i32 [batch, seq], got ${ids.dtype}[${ids.shape.join(', ')}]`,
      );
    if (modality.rank !== 2 || modality.shape[0] !== ids.shape[0] || modality.shape[1] !== ids.shape[1])
      throw new MoEError(
        `MoTCausalLM: modality must be [${ids.shape.join(', ')}] (the ids' shape), got [${modality.shape.join(', ')}]`,
      );
  }
}
