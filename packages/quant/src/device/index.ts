export { type Matmul4Options, matmul4 } from './matmul.js';
export { blockAbsmaxOp, decodeOp, encodeOp, matmul4Op } from './ops.js';
export { type NestedAbsmax, QuantizedWeight, type QuantizeOptions, quantizeTensor } from './weight.js';
