import type { Assignment } from '../assignment.js';
import { MoEError } from '../errors.js';

/**
 * Throws a {@link MoEError} naming the first token and expert whose router logit is NaN or
 * infinite. Routers decide without reading their tensors back (so a forward pass stays
 * asynchronous on WebGPU), and NaN compares as the largest value in their top-k; call this after
 * a forward pass where bad input is possible, to fail clearly instead of routing on garbage.
 */
export async function assertFiniteLogits(a: Assignment): Promise<void> {
  const [, experts] = a.logits.shape;
  const data = await a.logits.data();
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      const t = Math.floor(i / experts);
      throw new MoEError(`router logits must be finite, got ${data[i]} at token ${t}, expert ${i % experts}`);
    }
  }
}
