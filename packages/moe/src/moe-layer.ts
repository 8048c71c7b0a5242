import { Linear, Module, type ModuleOptions, SwiGLU } from '@tessera/nn';
import * as T from '@tessera/tensor';
import type { Assignment } from './assignment.js';
import { needInt } from './check.js';
import { type DispatchOptions, dispatch } from './dispatch/index.js';
import { MoEError } from './errors.js';
import { ExpertBank, stackExpertState } from './experts.js';
import { TopKRouter } from './routers/topk.js';

/** A router any MoE layer can use: x [tokens, dim] → its {@link Assignment}. */
export interface Router extends Module {
  forward(x: T.Tensor): Assignment;
}

/** Options of {@link MoE}. */
export interface MoEOptions extends ModuleOptions, DispatchOptions {
  /** Choices per token of the default router (Mixtral's top-2). Default 2. */
  k?: number;
  /**
   * A router in place of the default {@link TopKRouter}; its parameters are named `router.*`.
   * The default's linear layer is named `gate`, as in Mixtral.
   */
  router?: Router;
  /**
   * Hidden width of a shared expert run on every token (Qwen2-MoE's `shared_expert`, scaled by
   * sigmoid(`shared_expert_gate`·x)). Default: none.
   */
  sharedHidden?: number;
}

/**
 * A sparse Mixture-of-Experts feed-forward layer: Mixtral's `MixtralSparseMoeBlock` (router
 * `gate`, SwiGLU experts `experts`), optionally with Qwen2-MoE's gated shared expert. Its state
 * dict loads Hugging Face checkpoints: `loadStateDict` accepts Mixtral's per-expert names
 * (`experts.N.w1.weight`) as well as the stacked ones (see {@link ExpertBank}).
 */
export class MoE extends Module {
  readonly router: Router;
  readonly experts: ExpertBank;
  readonly shared_expert?: SwiGLU;
  readonly shared_expert_gate?: Linear;
  readonly dispatchOptions: DispatchOptions;
  constructor(
    readonly dim: number,
    readonly hidden: number,
    readonly numExperts: number,
    options: MoEOptions = {},
  ) {
    super();
    needInt('MoE: dim', dim, 1);
    const { k = 2, router, sharedHidden, kind, capacity, capacityFactor, ...moduleOptions } = options;
    this.dispatchOptions = { kind, capacity, capacityFactor };
    if (router) {
      this.router = this.child('router', router);
    } else {
      const topk = new TopKRouter(dim, numExperts, k, moduleOptions);
      this.child('gate', topk.gate); // Mixtral names the router's linear layer `gate`.
      this.router = topk;
    }
    this.experts = this.child('experts', new ExpertBank(dim, hidden, numExperts, moduleOptions));
    if (sharedHidden !== undefined) {
      needInt('MoE: sharedHidden', sharedHidden, 1);
      this.shared_expert = this.child('shared_expert', new SwiGLU(dim, sharedHidden, moduleOptions));
      this.shared_expert_gate = this.child(
        'shared_expert_gate',
        new Linear(dim, 1, { ...moduleOptions, bias: false }),
      );
    }
  }

  /** x [tokens, dim] or [batch, seq, dim] → the output of the same shape, and the routing. */
  forward(x: T.Tensor): { output: T.Tensor; assignment: Assignment } {
    if ((x.rank !== 2 && x.rank !== 3) || x.shape[x.rank - 1] !== this.dim) {
      throw new MoEError(
        `MoE.forward: x must be [tokens, ${this.dim}] or [batch, seq, ${this.dim}], got [${x.shape.join(', ')}]`,
      );
    }
    const flat = T.reshape(x, [-1, this.dim]);
    const assignment = this.router.forward(flat);
    let out = dispatch(flat, assignment, this.experts, this.dispatchOptions);
    if (this.shared_expert && this.shared_expert_gate) {
      const gate = T.sigmoid(this.shared_expert_gate.forward(flat));
      out = T.add(out, T.mul(gate, this.shared_expert.forward(flat)));
    }
    return { output: T.reshape(out, [...x.shape]), assignment };
  }

  /** Loads by name; Mixtral's per-expert names are stacked first (see {@link stackExpertState}). */
  override loadStateDict(
    state: Record<string, T.Tensor>,
    options?: Parameters<Module['loadStateDict']>[1],
  ): { missing: string[]; unexpected: string[] } {
    const stacked = stackExpertState(state);
    try {
      return super.loadStateDict(stacked, options);
    } finally {
      // The parameters share the stacked buffers; the temporary tensors themselves go.
      for (const [name, t] of Object.entries(stacked)) if (state[name] !== t) t.dispose();
    }
  }
}
