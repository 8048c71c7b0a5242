// onnxruntime-node's MatMulNBits (com.microsoft, 4-bit blockwise with zero point 8): the nearest peer
// of a fused 4-bit matmul that runs here (CPU). Our symmetric Int4 is the same arithmetic:
// (c − 8) · absmax/7, so the weights convert exactly (ORT packs element 2j in the LOW nibble).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const { onnx } = require('onnx-proto');

const attr = (name, i) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });

/** ORT's B [N, blocks, blockSize/2] and scales [N·blocks] from our Int4 weight (packed, absmax). */
export function toMatMulNBits(q) {
  const [n, k] = q.shape;
  if (k % q.blockSize) throw new Error('MatMulNBits peer: K must be a multiple of the block size');
  const b = new Uint8Array(q.packed.length);
  for (let i = 0; i < b.length; i++) b[i] = ((q.packed[i] & 15) << 4) | (q.packed[i] >> 4);
  const scales = Float32Array.from(q.absmax, (a) => a / 7);
  return { b, scales, n, k, blockSize: q.blockSize };
}

function graphModel(nodes, inputs, outputs, initializers) {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph: { name: 'g', node: nodes, input: inputs, output: outputs, initializer: initializers },
  });
  return onnx.ModelProto.encode(model).finish();
}

const valueInfo = (name, elemType, dims) => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

/** A session computing y = x · dequant(B)ᵀ with MatMulNBits; run(x [M, K]) → y [M, N]. */
export async function matMulNBitsSession(w) {
  const { FLOAT, UINT8 } = onnx.TensorProto.DataType;
  const blocks = w.k / w.blockSize;
  const model = graphModel(
    [
      {
        opType: 'MatMulNBits',
        domain: 'com.microsoft',
        input: ['x', 'B', 'scales'],
        output: ['y'],
        attribute: [attr('K', w.k), attr('N', w.n), attr('bits', 4), attr('block_size', w.blockSize)],
      },
    ],
    [valueInfo('x', FLOAT, ['M', w.k])],
    [valueInfo('y', FLOAT, ['M', w.n])],
    [
      { name: 'B', dataType: UINT8, dims: [w.n, blocks, w.blockSize / 2], rawData: w.b },
      { name: 'scales', dataType: FLOAT, dims: [w.n * blocks], rawData: new Uint8Array(w.scales.buffer) },
    ],
  );
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  return async (x, m) => (await session.run({ x: new ort.Tensor('float32', x, [m, w.k]) })).y.data;
}

/** The f32 reference on ORT: y = x · Wᵀ with W [N, K] as a MatMul initializer (stored transposed). */
export async function matMulSession(wT, n, k) {
  const { FLOAT } = onnx.TensorProto.DataType;
  const model = graphModel(
    [{ opType: 'MatMul', input: ['x', 'Wt'], output: ['y'] }],
    [valueInfo('x', FLOAT, ['M', k])],
    [valueInfo('y', FLOAT, ['M', n])],
    [{ name: 'Wt', dataType: FLOAT, dims: [k, n], rawData: new Uint8Array(wT.buffer) }],
  );
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1 });
  return async (x, m) => (await session.run({ x: new ort.Tensor('float32', x, [m, k]) })).y.data;
}
