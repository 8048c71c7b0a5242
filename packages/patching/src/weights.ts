// Loading checked weights into a module: every tensor's name and shape must fit the module before
// any parameter changes, and the error names the tensor. Shared by the entropy and BLT loaders.
import type { Module } from '@tessera/nn';
import type * as T from '@tessera/tensor';
import { PatchingError } from './errors.js';

/**
 * Loads `tensors` (all of the module's parameters, nothing else) into `model`, or throws naming the
 * first tensor that is unexpected, missing or of the wrong shape; `what` names the caller and the
 * configuration in the message.
 */
export function loadChecked(model: Module, tensors: Record<string, T.Tensor>, what: string): void {
  const own = new Map(model.namedParameters());
  for (const [k, t] of Object.entries(tensors)) {
    const p = own.get(k);
    if (!p) throw new PatchingError(`${what}: '${k}' is not a parameter of the model`);
    if (p.shape.join() !== t.shape.join())
      throw new PatchingError(
        `${what}: '${k}' has shape [${t.shape.join(', ')}], the configuration needs [${p.shape.join(', ')}]`,
      );
  }
  const missing = [...own.keys()].filter((k) => !(k in tensors));
  if (missing.length)
    throw new PatchingError(
      `${what}: the weights lack ${missing.length} parameter(s), first '${missing[0]}'`,
    );
  model.loadStateDict(tensors);
}
