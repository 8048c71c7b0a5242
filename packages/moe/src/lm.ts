import {
  CausalLM,
  type CausalLMConfig,
  hiddenOf,
  type KVCache,
  type LoadOptions,
  type ModuleOptions,
  SwiGLU,
  type TransformerBlock,
} from '@tessera/nn';
import * as T from '@tessera/tensor';
import type { Assignment } from './assignment.js';
import { needInt } from './check.js';
import type { DispatchOptions } from './dispatch/index.js';
import { MoEError } from './errors.js';
import { stackExpertState, unstackExpertState } from './experts.js';
import { loadBalanceLoss, zLoss } from './losses.js';
import { MoE, type Router } from './moe-layer.js';

/**
 * Which Hugging Face family's parameter names a {@link MoECausalLM} uses:
 * - `mixtral`: the sparse FFN is `model.layers.N.block_sparse_moe` (router `gate`, experts `w1` gate,
 *   `w3` up, `w2` down);
 * - `qwen2-moe`: `model.layers.N.mlp` (router `gate`, experts `gate_proj`/`up_proj`/`down_proj`, the
 *   gated `shared_expert` and `shared_expert_gate`);
 * - `deepseek-v3`: `model.layers.N.mlp` (router `gate` with `e_score_correction_bias`, experts as
 *   Qwen2-MoE, the ungated `shared_experts`).
 */
export type MoENaming = 'mixtral' | 'qwen2-moe' | 'deepseek-v3';

/** Shape of a {@link MoECausalLM}: nn's {@link CausalLMConfig} plus the experts. */
export interface MoECausalLMConfig extends CausalLMConfig {
  /** Routed experts per sparse layer. */
  numExperts: number;
  /** Choices per token of the default router (Mixtral's top-2). Default 2. */
  k?: number;
  /** Hidden width of each routed expert (default: the dense `hidden`, as Mixtral). */
  expertHidden?: number;
  /**
   * Layer i is sparse when (i + 1) % sparseStep === 0, Qwen2-MoE's `decoder_sparse_step`; the rest
   * keep nn's dense SwiGLU `mlp`. Default 1: every layer.
   */
  sparseStep?: number;
  /** Parameter names (default `mixtral`). */
  naming?: MoENaming;
  /**
   * Hidden width of a shared expert run on every token: gated by sigmoid(`shared_expert_gate`·x)
   * under `qwen2-moe` naming, ungated (`shared_experts`) under `deepseek-v3`. Default: none.
   */
  sharedHidden?: number;
  /** Weight of the load-balancing loss of each sparse layer in `auxLoss`. Default 0.01. */
  loadBalanceWeight?: number;
  /** Weight of the router z-loss of each sparse layer in `auxLoss`. Default 0.001 (ST-MoE). */
  zLossWeight?: number;
}

/** Options of {@link MoECausalLM}. */
export interface MoECausalLMOptions extends ModuleOptions, DispatchOptions {
  /**
   * Builds the router of sparse layer `layer` (any kind: Switch, GShard top-2, DeepSeek-V3, expert
   * choice, …). Default: Mixtral's {@link TopKRouter} with `config.k`.
   */
  router?: (layer: number, options: ModuleOptions) => Router;
}

/** What {@link MoECausalLM.forwardWithAux} returns. */
export interface MoECausalLMOutput {
  /** [B, S, vocab]. */
  logits: T.Tensor;
  /**
   * Σ over sparse layers of loadBalanceWeight · loadBalanceLoss + zLossWeight · zLoss (a scalar;
   * 0 without sparse layers). Per layer and summed, unlike HF Mixtral, which pools all layers'
   * routing into one load-balancing loss.
   */
  auxLoss: T.Tensor;
  /** The routing of each layer (undefined for dense layers), e.g. for `routingStats`. */
  assignments: (Assignment | undefined)[];
}

/** DeepSeek-V3's routed experts plus its always-on, ungated `shared_experts`. */
class SharedExpertsMoE extends MoE {
  readonly shared_experts: SwiGLU;
  constructor(dim: number, hidden: number, numExperts: number, sharedHidden: number, options: MoEArgs) {
    super(dim, hidden, numExperts, options);
    this.shared_experts = this.child('shared_experts', new SwiGLU(dim, sharedHidden, options));
  }
  override forward(x: T.Tensor): { output: T.Tensor; assignment: Assignment } {
    const { output, assignment } = super.forward(x);
    return { output: T.add(output, this.shared_experts.forward(x)), assignment };
  }
}
type MoEArgs = ConstructorParameters<typeof MoE>[3] & ModuleOptions;

// Per-expert projection names of Qwen2-MoE and DeepSeek-V3 → Mixtral's, which stackExpertState reads.
const HF_PROJ: Record<string, string> = { gate_proj: 'w1', up_proj: 'w3', down_proj: 'w2' };
const MIXTRAL_PROJ: Record<string, string> = { w1: 'gate_proj', w3: 'up_proj', w2: 'down_proj' };
const PER_EXPERT_HF = /^(.*\.)?experts\.(\d+)\.(gate_proj|up_proj|down_proj)\.weight$/;

/**
 * A Mixture-of-Experts causal language model: nn's {@link CausalLM} (embeddings, RoPE attention,
 * RMSNorm, `lm_head`, KV-cached `generate`) whose sparse layers' SwiGLU FFN is replaced by the
 * {@link MoE} layer. Parameter names follow the Hugging Face family of `config.naming`, so
 * converted checkpoints load with `loadStateDict`: per-expert names (`experts.M.w1.weight`,
 * `experts.M.gate_proj.weight`) are stacked into the expert bank's `experts.w1`, `experts.w3`,
 * `experts.w2`, which is how `stateDict()` names them.
 *
 * `forward` returns the logits alone (as CausalLM, so generation and trainers work unchanged);
 * {@link forwardWithAux} also returns the auxiliary loss and each layer's routing, and
 * {@link loss} adds the auxiliary loss to the cross-entropy.
 */
export class MoECausalLM extends CausalLM {
  declare readonly config: MoECausalLMConfig;
  /** The sparse FFN of each layer (undefined where the layer is dense). */
  readonly moe: (MoE | undefined)[];
  readonly naming: MoENaming;
  constructor(config: MoECausalLMConfig, options: MoECausalLMOptions = {}) {
    super(config, options);
    const { router, kind, capacity, capacityFactor, ...moduleOptions } = options;
    const naming = config.naming ?? 'mixtral';
    if (!['mixtral', 'qwen2-moe', 'deepseek-v3'].includes(naming))
      throw new MoEError(`MoECausalLM: naming must be mixtral, qwen2-moe or deepseek-v3, got ${naming}`);
    const step = config.sparseStep ?? 1;
    needInt('MoECausalLM: sparseStep', step, 1);
    needInt('MoECausalLM: numExperts', config.numExperts, 1);
    this.naming = naming;
    const hidden = config.expertHidden ?? hiddenOf(config);
    this.moe = this.model.layers.map((block: TransformerBlock, i) => {
      if ((i + 1) % step !== 0) return undefined;
      const args: MoEArgs = {
        ...moduleOptions,
        k: config.k ?? 2,
        router: router?.(i, moduleOptions),
        kind,
        capacity,
        capacityFactor,
      };
      const shared = config.sharedHidden;
      const moe =
        shared !== undefined && naming === 'deepseek-v3'
          ? new SharedExpertsMoE(config.dim, hidden, config.numExperts, shared, args)
          : new MoE(config.dim, hidden, config.numExperts, { ...args, sharedHidden: shared });
      block.setChild('mlp', moe).dispose(); // the dense SwiGLU it replaces
      return moe;
    });
  }

  /** ids [B, S] (i32) → logits, auxiliary loss and routing; `caches` as {@link CausalLM.forward}. */
  forwardWithAux(ids: T.Tensor, caches?: KVCache[]): MoECausalLMOutput {
    const { loadBalanceWeight = 0.01, zLossWeight = 0.001 } = this.config;
    let h = this.model.embed_tokens.forward(ids);
    let auxLoss = T.zeros([], { backend: ids.backend });
    const assignments = this.model.layers.map((block, i) => {
      // The attention half of nn's block, then this layer's FFN (dense or sparse).
      h = T.add(h, block.self_attn.forward(block.input_layernorm.forward(h), { cache: caches?.[i] }));
      const normed = block.post_attention_layernorm.forward(h);
      const moe = this.moe[i];
      if (!moe) {
        h = T.add(h, block.mlp.forward(normed));
        return undefined;
      }
      const { output, assignment } = moe.forward(normed);
      h = T.add(h, output);
      if (loadBalanceWeight) auxLoss = T.add(auxLoss, T.mul(loadBalanceLoss(assignment), loadBalanceWeight));
      if (zLossWeight) auxLoss = T.add(auxLoss, T.mul(zLoss(assignment), zLossWeight));
      return assignment;
    });
    return { logits: this.lm_head.forward(this.model.norm.forward(h)), auxLoss, assignments };
  }

  /** ids [B, S] (i32) → logits [B, S, vocab]. */
  override forward(ids: T.Tensor, caches?: KVCache[]): T.Tensor {
    return this.forwardWithAux(ids, caches).logits;
  }

  /** Mean next-token cross-entropy of `ids` [B, S] plus the auxiliary loss. */
  override loss(ids: T.Tensor): T.Tensor {
    const S = ids.shape[1];
    const { logits, auxLoss } = this.forwardWithAux(T.narrow(ids, 1, 0, S - 1));
    return T.add(T.crossEntropy(logits, T.contiguous(T.narrow(ids, 1, 1, S - 1))), auxLoss);
  }

  /** Every parameter under the names of `config.naming` (see {@link MoENaming}). */
  override namedParameters(prefix = ''): [string, T.Tensor][] {
    return super.namedParameters(prefix).map(([n, p]) => [this.#rename(n), p]);
  }

  #rename(name: string): string {
    const m = /^(.*model\.layers\.(\d+)\.)mlp\.(.*)$/.exec(name);
    if (!m || !this.moe[Number(m[2])]) return name;
    // A custom router's own parameters (DeepSeek-V3's `weight`, `e_score_correction_bias`) are HF's `gate.*`.
    const rest = m[3].replace(/^router\.(weight|e_score_correction_bias)$/, 'gate.$1');
    return `${m[1]}${this.naming === 'mixtral' ? 'block_sparse_moe' : 'mlp'}.${rest}`;
  }

  /**
   * The state dict as the family's Hugging Face checkpoints hold it: experts one by one
   * (`experts.M.w1.weight` under `mixtral`, `experts.M.gate_proj.weight` otherwise). The per-expert
   * tensors are new (dispose them); the others are the live parameters. Loads back with
   * {@link loadStateDict}.
   */
  hfStateDict(): Record<string, T.Tensor> {
    const perExpert = Object.entries(unstackExpertState(this.stateDict()));
    if (this.naming === 'mixtral') return Object.fromEntries(perExpert);
    return Object.fromEntries(
      perExpert.map(([k, v]) => [
        k.replace(/(experts\.\d+\.)(w[123])(\.weight)$/, (_, a, w, b) => a + MIXTRAL_PROJ[w] + b),
        v,
      ]),
    );
  }

  /**
   * Loads by name, per-expert checkpoint names stacked first. A checkpoint whose expert count or
   * any shape differs from this model's throws a {@link MoEError} naming both, before anything changes.
   */
  override loadStateDict(
    state: Record<string, T.Tensor>,
    options?: LoadOptions,
  ): { missing: string[]; unexpected: string[] } {
    const renamed = Object.fromEntries(
      Object.entries(state).map(([k, v]) => {
        const m = PER_EXPERT_HF.exec(k);
        return [m ? `${m[1] ?? ''}experts.${m[2]}.${HF_PROJ[m[3]]}.weight` : k, v];
      }),
    );
    const stacked = stackExpertState(renamed);
    const given = new Set(Object.values(state));
    try {
      const own = new Map(this.namedParameters());
      for (const [k, src] of Object.entries(stacked)) {
        const p = own.get(k);
        if (!p || (src.shape.length === p.shape.length && src.shape.every((d, i) => d === p.shape[i])))
          continue;
        if (
          /(experts\.w[123]|gate\.weight|e_score_correction_bias)$/.test(k) &&
          src.shape[0] !== p.shape[0]
        ) {
          throw new MoEError(
            `MoECausalLM.loadStateDict: checkpoint '${k}' has ${src.shape[0]} experts, the config numExperts ${p.shape[0]}`,
          );
        }
        throw new MoEError(
          `MoECausalLM.loadStateDict: checkpoint '${k}' has shape [${src.shape.join(', ')}], the model [${p.shape.join(', ')}]`,
        );
      }
      return super.loadStateDict(stacked, options);
    } finally {
      // Parameters share the stacked buffers; the temporary tensors themselves go.
      for (const t of Object.values(stacked)) if (!given.has(t)) t.dispose();
    }
  }
}
