export { bltFromReferenceNames, loadBltModel, loadReferenceBlt, saveBltModel } from './blt/checkpoint.js';
export {
  BLT_1B_CONFIG,
  type BltConfig,
  type BltPooling,
  bltConfigFromReference,
  type ResolvedBltConfig,
  resolveBltConfig,
} from './blt/config.js';
export { CrossAttention } from './blt/cross-attention.js';
export { type BltGenerateOptions, generateBlt } from './blt/generate.js';
export { type PatchLayout, patchLayout } from './blt/layout.js';
export { BltModel, GlobalTransformer, LocalDecoder, LocalEncoder } from './blt/model.js';
export { BltStream } from './blt/stream.js';
export {
  BOE_ID,
  BOS_ID,
  BPE_ID,
  decodeBytes,
  EOS_ID,
  encodeBytes,
  idsToBytes,
  OFFSET,
  Utf8PatchDecoder,
  VOCAB_SIZE,
  validateUtf8,
} from './bytes.js';
export { calibrateThreshold } from './calibrate.js';
export {
  byteEntropies,
  EntropyModel,
  type EntropyModelConfig,
  type EntropyOptions,
  EntropyStream,
  entropyFromLogits,
  fromReferenceNames,
  REFERENCE_ENTROPY_CONFIG,
} from './entropy-model.js';
export { PatchingError } from './errors.js';
export { checkHashConfig, HASH_PRIMES, type HashConfig, hashIdsReference, hashNgrams } from './hash.js';
export { HashNgramEmbedding } from './hash-embedding.js';
export { type EntropyPatchOptions, entropyPatches, entropyPatchesBatch } from './patchers/entropy.js';
export { type Patches, padLengths, patchesFromStarts } from './patchers/lengths.js';
export { bpePatches, spacePatches, staticPatches } from './patchers/simple.js';
export { type EntropyPlot, entropyPlotSvg, sparkline } from './plot.js';
export {
  entropyConfigFromReference,
  loadEntropyModel,
  loadReferenceEntropyModel,
  type PatchedBytes,
  patchBytes,
  tinyEntropyModel,
} from './pretrained.js';
export { type HostTensor, permuteRope } from './reference-names.js';
export { type Patch, StreamingPatcher } from './streaming.js';
