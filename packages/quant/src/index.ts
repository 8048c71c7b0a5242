export {
  type BlockOptions,
  type Blockwise8Options,
  bitsPerParameter,
  blockAbsmax,
  type DoubleQuantized,
  dequantize4bit,
  dequantizeAbsmax,
  dequantizeBlockwise8,
  doubleQuantize,
  QuantError,
  type Quantized4,
  type Quantized8,
  quantize4bit,
  quantizeBlockwise8,
  unpack4,
  withDoubleQuant,
} from './blockwise.js';
export {
  codeBook,
  DYNAMIC_CODE,
  type Encoder,
  encode4,
  encoder,
  FOUR_BIT_TYPES,
  type FourBitType,
  FP4_CODE,
  INT4_CODE,
  NF4_CODE,
} from './codebooks.js';
export {
  type Matmul4Options,
  matmul4,
  type NestedAbsmax,
  QuantizedWeight,
  type QuantizeOptions,
  quantizeTensor,
} from './device/index.js';
export { dequantizeGgml, GGML_BLOCK_BYTES, type GgmlType, quantizeGgml } from './ggml.js';
export {
  type BnbCheckpoint,
  type BnbDType,
  type BnbTensorOptions,
  type BnbWriteOptions,
  bnbTensors,
  fromBnbTensors,
  readBnbCheckpoint,
  writeBnbCheckpoint,
} from './hf.js';
export * from './lora/index.js';
export { matmul4bit } from './matmul4.js';
export { loadQuantizedModel, saveQuantizedModel } from './modules/checkpoint.js';
export {
  Linear4bit,
  type QuantizeModelOptions,
  type QuantizeReport,
  quantizeModel,
} from './modules/linear4bit.js';
