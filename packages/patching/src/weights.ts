// Loading checked weights into a module: every tensor's name and shape must fit the module before
// any parameter changes, and the error names the tensor. Shared by the entropy and BLT loaders.
import { type Module, readSafetensors, readSafetensorsMetadata } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { PatchingError } from './errors.js';
import type { HostTensor } from './reference-names.js';

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

/** The float tensors of a safetensors file (F32, F16, BF16) as host arrays, for renaming and permuting. */
export async function readHostTensors(bytes: Uint8Array, what: string): Promise<Record<string, HostTensor>> {
  const read = readSafetensors(bytes, { backend: T.cpuBackend });
  const out: Record<string, HostTensor> = {};
  try {
    for (const [k, t] of Object.entries(read)) {
      if (t.dtype !== 'f32') throw new PatchingError(`${what}: '${k}' is ${t.dtype}, expected floats`);
      out[k] = { data: (await t.data()) as Float32Array, shape: [...t.shape] };
    }
  } finally {
    for (const t of Object.values(read)) t.dispose();
  }
  return out;
}

/** Loads `tensors` into a freshly built `model` ({@link loadChecked}); frees them, and the model on failure. */
function loadInto<M extends Module>(model: M, tensors: Record<string, T.Tensor>, what: string): M {
  try {
    loadChecked(model, tensors, what);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

/** Loads host tensors into a freshly built `model`, checked; disposes it on failure. */
export function loadHost<M extends Module>(model: M, host: Record<string, HostTensor>, what: string): M {
  const backend = model.parameters()[0].backend;
  const tensors = Object.fromEntries(
    Object.entries(host).map(([k, v]) => [k, T.tensor(v.data, { shape: v.shape, backend })]),
  );
  return loadInto(model, tensors, what);
}

/**
 * A model from this package's own safetensors, whose metadata holds its configuration as JSON under
 * `key` (used unless `config` is given); `build` makes the model, every tensor is checked.
 */
export function loadOwnFile<C, M extends Module>(
  bytes: Uint8Array,
  key: string,
  config: C | undefined,
  build: (config: C) => M,
  what: string,
): M {
  let c = config;
  if (!c) {
    const meta = readSafetensorsMetadata(bytes)[key];
    if (!meta) throw new PatchingError(`${what}: the file has no '${key}' metadata; pass options.config`);
    try {
      c = JSON.parse(meta) as C;
    } catch {
      throw new PatchingError(`${what}: the '${key}' metadata is not JSON: ${meta.slice(0, 40)}`);
    }
  }
  const model = build(c);
  const tensors = readSafetensors(bytes, { backend: model.parameters()[0].backend });
  return loadInto(model, tensors, `${what} (${JSON.stringify(c)})`);
}
