import { Linear, type LoadOptions, type Module } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { QuantError, type Quantized4 } from '../blockwise.js';
import { QuantizedWeight } from '../device/weight.js';
import { type BnbWriteOptions, readBnbCheckpoint, writeBnbCheckpoint } from '../hf.js';
import { Linear4bit } from './linear4bit.js';

/**
 * Saves a model whose linear layers are (partly) {@link Linear4bit} as transformers saves a
 * bitsandbytes 4-bit model: each 4-bit `<path>.weight` in bitsandbytes' layout, every other
 * parameter as it is.
 */
export async function saveQuantizedModel(model: Module, options: BnbWriteOptions = {}): Promise<Uint8Array> {
  const quantized: Record<string, Quantized4> = {};
  for (const [path, m] of model.namedModules())
    if (m instanceof Linear4bit) quantized[`${path}.weight`] = await m.weight.download();
  return writeBnbCheckpoint(quantized, model.stateDict(), options);
}

/**
 * Loads a bitsandbytes 4-bit checkpoint (as transformers writes it) into a model of the same
 * architecture: every layer quantized in the file becomes a {@link Linear4bit} on the model's
 * backend, the other tensors load as `loadStateDict` does. Shapes are checked before anything
 * changes. Returns the paths of the 4-bit layers.
 */
export async function loadQuantizedModel(
  model: Module,
  bytes: Uint8Array,
  options: LoadOptions = {},
): Promise<string[]> {
  const ck = await readBnbCheckpoint(bytes);
  const backend = model.parameters()[0]?.backend ?? T.getBackend();
  const modules = new Map(model.namedModules());
  const plan: [string, Linear | Linear4bit, Quantized4][] = [];
  try {
    for (const [name, q] of Object.entries(ck.quantized)) {
      const path = name.replace(/\.weight$/, '');
      const m = modules.get(path);
      if (!name.endsWith('.weight') || !(m instanceof Linear || m instanceof Linear4bit))
        throw new QuantError(
          `loadQuantizedModel: '${name}' is not the weight of a linear layer of the model`,
        );
      const want = [m.outFeatures, m.inFeatures];
      if (q.shape.length !== 2 || q.shape[0] !== want[0] || q.shape[1] !== want[1])
        throw new QuantError(
          `loadQuantizedModel: '${name}' has shape [${q.shape.join(', ')}], the layer needs [${want.join(', ')}]`,
        );
      plan.push([path, m, q]);
    }
    const replaced = new Set(plan.map(([p]) => `${p}.weight`));
    const params = new Map(model.namedParameters().filter(([n]) => !replaced.has(n)));
    for (const [k, t] of Object.entries(ck.other)) {
      const p = params.get(k);
      if (p && (p.shape.length !== t.shape.length || p.shape.some((d, i) => d !== t.shape[i])))
        throw new QuantError(
          `loadQuantizedModel: '${k}' has shape [${t.shape.join(', ')}], the model needs [${p.shape.join(', ')}]`,
        );
    }
    const missing = [...params.keys()].filter((k) => !(k in ck.other));
    const unexpected = Object.keys(ck.other).filter((k) => !params.has(k));
    if ((options.strict ?? true) && (missing.length || unexpected.length))
      throw new QuantError(
        `loadQuantizedModel: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(unexpected)}`,
      );
    const other: Record<string, T.Tensor> = {};
    for (const [k, t] of Object.entries(ck.other)) other[k] = t.backend === backend ? t : await t.to(backend);
    for (const [path, m, q] of plan) {
      const bias = m.bias && T.keep(m.bias.detach());
      const layer = new Linear4bit(QuantizedWeight.upload(q, backend), bias);
      const dot = path.lastIndexOf('.');
      (dot < 0 ? model : model.getModule(path.slice(0, dot))).setChild(path.slice(dot + 1), layer);
      m.dispose();
    }
    model.loadStateDict(other, options);
    for (const t of Object.values(other)) t.dispose();
    return plan.map(([p]) => p);
  } finally {
    for (const t of Object.values(ck.other)) t.dispose();
  }
}
