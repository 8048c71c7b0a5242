export {
  applyLora,
  loadAdapter,
  loraLayers,
  loraParameters,
  mergeAdapters,
  type SavedAdapter,
  saveAdapter,
  unmergeAdapters,
} from './adapter.js';
export {
  adapterConfigJson,
  type LoraConfig,
  loraScaling,
  parseAdapterConfig,
  resolveLoraConfig,
} from './config.js';
export { LoraLinear, type MergeReport } from './layer.js';
