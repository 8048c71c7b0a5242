import { Linear, type Module, readSafetensors, writeSafetensors } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { QuantError } from '../blockwise.js';
import { Linear4bit } from '../modules/linear4bit.js';
import {
  adapterConfigJson,
  type LoraConfig,
  parseAdapterConfig,
  type ResolvedLoraConfig,
  resolveLoraConfig,
} from './config.js';
import { LoraLinear, type MergeReport } from './layer.js';

/** PEFT's prefix of adapter weights in `adapter_model.safetensors`. */
const PEFT_PREFIX = 'base_model.model.';

const targeted = (path: string, targets: string[] | undefined) =>
  targets ? targets.some((t) => t === path || path.endsWith(`.${t}`)) : !path.endsWith('lm_head');

/** The LoRA layers of a model with their paths. */
export const loraLayers = (model: Module): [string, LoraLinear][] =>
  model.namedModules().filter((e): e is [string, LoraLinear] => e[1] instanceof LoraLinear);

/**
 * Wraps the chosen linear layers (f32 or 4-bit) of `model` in {@link LoraLinear}, in place, and
 * freezes everything else. Returns the paths adapted; the trainable tensors are {@link loraParameters}.
 */
export function applyLora(model: Module, config: LoraConfig = {}): string[] {
  const c = resolveLoraConfig(config);
  // Which layers first, so that a config matching none leaves the model as it was.
  const chosen = model
    .namedModules()
    .filter(
      ([path, m]) =>
        (m instanceof Linear || m instanceof Linear4bit) &&
        targeted(path, c.targetModules) &&
        !(path.includes('.lora_A') || path.includes('.lora_B') || path.endsWith('base_layer')),
    ) as [string, Linear | Linear4bit][];
  if (!chosen.length)
    throw new QuantError(
      `applyLora: no linear layer matches targetModules ${JSON.stringify(c.targetModules)}`,
    );
  model.setRequiresGrad(false);
  const generator = new T.Generator(c.seed);
  for (const [path, m] of chosen) {
    const dot = path.lastIndexOf('.');
    const parent = dot < 0 ? model : model.getModule(path.slice(0, dot));
    parent.setChild(path.slice(dot + 1), new LoraLinear(m, c, generator));
  }
  return chosen.map(([path]) => path);
}

/** The adapters' A and B weights: what an optimizer trains. */
export const loraParameters = (model: Module): T.Tensor[] =>
  loraLayers(model).flatMap(([, l]) => [l.lora_A.weight, l.lora_B.weight]);

/** Merges every adapter into its base; reports the requantization error of 4-bit bases by path. */
export async function mergeAdapters(model: Module): Promise<Record<string, MergeReport | null>> {
  const out: Record<string, MergeReport | null> = {};
  for (const [path, l] of loraLayers(model)) out[path] = await l.merge();
  return out;
}

/** Takes every merged adapter back out of its base. */
export async function unmergeAdapters(model: Module): Promise<Record<string, MergeReport | null>> {
  const out: Record<string, MergeReport | null> = {};
  for (const [path, l] of loraLayers(model)) out[path] = await l.unmerge();
  return out;
}

/** A saved adapter: the two files PEFT writes. */
export interface SavedAdapter {
  /** `adapter_model.safetensors`. */
  weights: Uint8Array;
  /** `adapter_config.json`. */
  config: string;
}

/** Saves the adapters as PEFT does: `base_model.model.<path>.lora_A.weight` / `lora_B.weight`, and the config. */
export async function saveAdapter(
  model: Module,
  options: { baseModel?: string } = {},
): Promise<SavedAdapter> {
  const layers = loraLayers(model);
  if (!layers.length)
    throw new QuantError('saveAdapter: the model has no LoRA layers (call applyLora first)');
  const tensors: Record<string, T.Tensor> = {};
  for (const [path, l] of layers) {
    tensors[`${PEFT_PREFIX}${path}.lora_A.weight`] = l.lora_A.weight;
    tensors[`${PEFT_PREFIX}${path}.lora_B.weight`] = l.lora_B.weight;
  }
  const config: ResolvedLoraConfig = layers[0][1].config;
  const targets = layers.map(([p]) => p.split('.').pop()!);
  return {
    weights: await writeSafetensors(tensors, { format: 'pt' }),
    config: adapterConfigJson(config, targets, options.baseModel ?? null),
  };
}

const KEY = /^base_model\.model\.(.+)\.lora_([AB])\.(?:default\.)?weight$/;

const isBase = (p: string, m: Module) =>
  (m instanceof Linear || m instanceof Linear4bit) && !p.includes('.lora_') && !p.endsWith('base_layer');

/**
 * Loads a PEFT LoRA adapter into `model`: wraps the layers it names (unless already wrapped) and
 * copies A and B in. Every key must name a linear layer of the model, both A and B must be present,
 * and every shape must fit; otherwise nothing changes and the error names the key, the expected
 * and the actual value. Returns the paths loaded.
 */
export function loadAdapter(model: Module, adapter: SavedAdapter): string[] {
  const c = parseAdapterConfig(adapter.config);
  const backend = model.parameters()[0]?.backend ?? T.getBackend();
  const read = readSafetensors(adapter.weights, { backend });
  try {
    const modules = new Map(model.namedModules());
    const plan = new Map<string, { A?: T.Tensor; B?: T.Tensor; layer: LoraLinear | Linear | Linear4bit }>();
    for (const [key, t] of Object.entries(read)) {
      const m = key.match(KEY);
      if (!m)
        throw new QuantError(
          `loadAdapter: '${key}' is not a LoRA weight name (base_model.model.<path>.lora_A|B.weight)`,
        );
      const [, path, which] = m as unknown as [string, string, 'A' | 'B'];
      const layer = modules.get(path);
      if (!layer || !(layer instanceof LoraLinear || isBase(path, layer)))
        throw new QuantError(
          `loadAdapter: '${key}' names '${path}', which is not a linear layer of the model`,
        );
      const lin = layer as LoraLinear | Linear | Linear4bit;
      const base = lin instanceof LoraLinear ? lin.base_layer : lin;
      const want = which === 'A' ? [c.r, base.inFeatures] : [base.outFeatures, c.r];
      if (t.shape.length !== 2 || t.shape[0] !== want[0] || t.shape[1] !== want[1])
        throw new QuantError(
          `loadAdapter: '${key}' has shape [${t.shape.join(', ')}], the model needs [${want.join(', ')}]`,
        );
      if (lin instanceof LoraLinear && lin.config.r !== c.r)
        throw new QuantError(
          `loadAdapter: '${path}' already has an adapter with r=${lin.config.r}, the file has r=${c.r}`,
        );
      const entry = plan.get(path) ?? { layer: lin };
      entry[which] = t;
      plan.set(path, entry);
    }
    for (const [path, e] of plan)
      for (const w of ['A', 'B'] as const)
        if (!e[w]) throw new QuantError(`loadAdapter: '${PEFT_PREFIX}${path}.lora_${w}.weight' is missing`);
    // Validated: now change the model.
    for (const [path, e] of plan) {
      let layer = e.layer;
      if (!(layer instanceof LoraLinear)) {
        layer = new LoraLinear(layer, c);
        const dot = path.lastIndexOf('.');
        (dot < 0 ? model : model.getModule(path.slice(0, dot))).setChild(path.slice(dot + 1), layer);
      }
      const l = layer;
      T.noGrad(() => {
        l.lora_A.weight.assign(e.A!);
        l.lora_B.weight.assign(e.B!);
      });
    }
    return [...plan.keys()];
  } finally {
    for (const t of Object.values(read)) t.dispose();
  }
}
