export { type AttentionCall, type AttentionConfig, KVCache, MultiHeadAttention } from './attention.js';
export { fetchSafetensors } from './io/fetch.js';
export { readSafetensorsFile, readSafetensorsFileMetadata, writeSafetensorsFile } from './io/files.js';
export {
  floatToBf16,
  floatToHalf,
  halfToFloat,
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsMetadata,
  type SafetensorsDType,
  type SafetensorsEntry,
  SafetensorsError,
  type SafetensorsHeader,
  type WriteDTypes,
  writeSafetensors,
} from './io/safetensors.js';
export { Dropout, Embedding, LayerNorm, Linear, RMSNorm, SwiGLU, uniformInit } from './layers.js';
export { type LoadOptions, Module, type ModuleOptions } from './module.js';
export { AdamW, type AdamWOptions } from './optim/adamw.js';
export { clipGradNorm } from './optim/clip.js';
export { Optimizer } from './optim/optimizer.js';
export { PagedAdamW, type PagedAdamWOptions, type PagingStats } from './optim/paged.js';
export { cosineWithWarmup, LRScheduler, type Schedule, warmupStableDecay } from './optim/schedule.js';
export { SGD, type SGDOptions } from './optim/sgd.js';
export { RoPE } from './rope.js';
export { type CheckpointInfo, loadCheckpoint, saveCheckpoint } from './train/checkpoint.js';
export { ByteLoader, type LoaderState, splitBytes } from './train/data.js';
export { bitsPerByte, type LanguageModel } from './train/evaluate.js';
export { type StepReport, type TrainOptions, trainSteps } from './train/loop.js';
export {
  CausalLM,
  type CausalLMConfig,
  type GenerateOptions,
  hiddenOf,
  ModuleList,
  TransformerBlock,
} from './transformer.js';
