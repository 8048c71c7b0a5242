import { isGradEnabled, noGrad } from './autograd.js';
import type { GradCtxOf, Tensor } from './tensor.js';

/**
 * A composite op with a backward rule of its own: `forward` runs without recording its steps, and
 * `backward` gives the gradient of each of `inputs` (or null) from the output's gradient `g`, as a
 * rule in `src/rules/` does. For where composing the forward's gradients would be wrong or unstable
 * (PyTorch's binary cross-entropy gradient at a probability of exactly 0 or 1).
 */
export function customGrad(
  name: string,
  inputs: readonly Tensor[],
  forward: () => Tensor,
  backward: (g: Tensor, ctx: GradCtxOf<Record<string, never>>) => (Tensor | null)[],
): Tensor {
  let out = noGrad(forward);
  if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) return out;
  // The output gets its own node: an input returned as is must not be rewired.
  if (inputs.includes(out)) out = out.detach();
  out.requiresGrad = true;
  out.node = {
    op: name,
    inputs: [...inputs],
    params: {},
    grad: backward as (g: Tensor, ctx: GradCtxOf<unknown>) => (Tensor | null)[],
  };
  return out;
}
