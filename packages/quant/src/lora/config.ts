import { fail, QuantError, show } from '../checks.js';

/** LoRA hyper-parameters, with PEFT's defaults. */
export interface LoraConfig {
  /** Rank; default 8. */
  r?: number;
  /** Scaling numerator; default 8 (scaling = alpha / r, or alpha / √r with rsLoRA). */
  alpha?: number;
  /** Dropout on the adapter's input; default 0. */
  dropout?: number;
  /** Rank-stabilised scaling alpha / √r; default false. */
  rsLora?: boolean;
  /**
   * Linear layers to adapt, by last name (`q_proj`) or dotted path; default every linear layer
   * except the output head (QLoRA's recipe).
   */
  targetModules?: string[];
  /** Seed of A's initialisation and of the dropout masks; default 0. */
  seed?: number;
}

/** A {@link LoraConfig} with every field set. */
export type ResolvedLoraConfig = Required<Omit<LoraConfig, 'targetModules'>> & { targetModules?: string[] };

/** Fills PEFT's defaults and checks ranges. */
export function resolveLoraConfig(c: LoraConfig = {}): ResolvedLoraConfig {
  const r = c.r ?? 8;
  if (!Number.isInteger(r) || r < 1) throw new QuantError(`LoRA: r must be a positive integer, got ${r}`);
  const dropout = c.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new QuantError(`LoRA: dropout must be in [0, 1), got ${dropout}`);
  const alpha = c.alpha ?? 8;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha))
    fail(`LoRA: alpha must be a finite number, got ${show(alpha)}`);
  const rsLora = c.rsLora ?? false;
  if (typeof rsLora !== 'boolean') fail(`LoRA: rsLora must be true or false, got ${show(rsLora)}`);
  const seed = c.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    fail(`LoRA: seed must be a non-negative integer, got ${show(seed)}`);
  const targets = c.targetModules;
  if (targets !== undefined && (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string' && t)))
    fail(`LoRA: targetModules must be a list of module names, got ${show(targets)}`);
  return { r, alpha, dropout, rsLora, seed, targetModules: targets };
}

/** alpha / r, or alpha / √r with rsLoRA. */
export const loraScaling = (c: ResolvedLoraConfig): number =>
  c.rsLora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;

/** `adapter_config.json` as PEFT writes it for a LoRA adapter. */
export function adapterConfigJson(
  c: ResolvedLoraConfig,
  targets: string[],
  baseModel: string | null = null,
): string {
  const config = {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: c.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...new Set(targets)].sort(),
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: c.rsLora,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

const isEmpty = (v: unknown) =>
  v === undefined || v === null || (typeof v === 'object' && Object.keys(v).length === 0);

/** Reads PEFT's `adapter_config.json`, refusing what this implementation does not do (with the key). */
export function parseAdapterConfig(json: string): ResolvedLoraConfig & { targetModules: string[] } {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new QuantError(`adapter_config.json: not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new QuantError('adapter_config.json: expected an object');
  if (raw.peft_type !== 'LORA')
    throw new QuantError(
      `adapter_config.json: peft_type must be 'LORA', got ${JSON.stringify(raw.peft_type)}`,
    );
  for (const [key, ok] of [
    ['use_dora', !raw.use_dora],
    ['fan_in_fan_out', !raw.fan_in_fan_out],
    ['bias', raw.bias === undefined || raw.bias === 'none'],
    ['rank_pattern', isEmpty(raw.rank_pattern)],
    ['alpha_pattern', isEmpty(raw.alpha_pattern)],
    ['layers_to_transform', isEmpty(raw.layers_to_transform)],
    ['modules_to_save', isEmpty(raw.modules_to_save)],
  ] as const) {
    if (!ok)
      throw new QuantError(`adapter_config.json: ${key} = ${JSON.stringify(raw[key])} is not supported`);
  }
  const t = raw.target_modules;
  if (!Array.isArray(t) || t.some((x) => typeof x !== 'string'))
    throw new QuantError(
      `adapter_config.json: target_modules must be a list of names, got ${JSON.stringify(t)}`,
    );
  const num = (key: string, dflt: number) => {
    const v = raw[key] ?? dflt;
    if (typeof v !== 'number')
      throw new QuantError(`adapter_config.json: ${key} must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const c = resolveLoraConfig({
    r: num('r', 8),
    alpha: num('lora_alpha', 8),
    dropout: num('lora_dropout', 0),
    rsLora: raw.use_rslora === true,
  });
  return { ...c, targetModules: t as string[] };
}
