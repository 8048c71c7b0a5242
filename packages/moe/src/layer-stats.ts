// Routing of a whole MoECausalLM over one batch: per sparse layer, the statistics of stats.ts and
// each token's most probable expert (what the heatmap of plot.ts colours), plus bits per token.
import * as T from '@tessera/tensor';
import { MoEError } from './errors.js';
import type { MoECausalLM } from './lm.js';
import { type RoutingStats, routingStats } from './stats.js';

/** The routing of one sparse layer of a {@link MoECausalLM}. */
export interface LayerRouting extends RoutingStats {
  /** Index of the layer in the model (dense layers have none). */
  layer: number;
  numExperts: number;
  /** The router's most probable expert for each token, batch rows one after another. */
  top1: Int32Array;
}

/** What {@link layerStats} returns. */
export interface LayerStatsReport {
  /** One entry per sparse layer, in layer order. */
  layers: LayerRouting[];
  /**
   * Mean next-token cross-entropy in bits (bits per byte for a byte model; without the auxiliary
   * loss); NaN when the sequences are one token long.
   */
  bitsPerToken: number;
}

/**
 * Runs `model` on `ids` (i32 [B, S]) without gradients and reads each sparse layer's routing:
 * tokens per expert, drop rate, imbalance and router entropy ({@link routingStats}) and the most
 * probable expert of every token (the argmax of the router's probabilities, defined for every
 * router kind), plus the model's next-token cross-entropy in bits.
 */
export async function layerStats(model: MoECausalLM, ids: T.Tensor): Promise<LayerStatsReport> {
  if (ids.rank !== 2 || ids.dtype !== 'i32' || ids.shape[1] < 1)
    throw new MoEError(
      `layerStats: ids must be i32 [batch, seq ≥ 1], got ${ids.dtype}[${ids.shape.join(', ')}]`,
    );
  const S = ids.shape[1];
  return T.tidy(async () => {
    const { logits, assignments } = T.noGrad(() => model.forwardWithAux(ids));
    const layers: LayerRouting[] = [];
    for (const [layer, a] of assignments.entries()) {
      if (!a) continue;
      const top1 = Int32Array.from(await T.argmax(a.probs, -1).data());
      layers.push({ layer, numExperts: a.numExperts, top1, ...(await routingStats(a)) });
    }
    let bitsPerToken = Number.NaN;
    if (S > 1) {
      const ce = T.crossEntropy(
        T.contiguous(T.narrow(logits, 1, 0, S - 1)),
        T.contiguous(T.narrow(ids, 1, 1, S - 1)),
      );
      bitsPerToken = (await ce.item()) / Math.LN2;
    }
    return { layers, bitsPerToken };
  });
}
