// onnxruntime-node on the ONNX-ML files scikit-learn's models were written to (one intra-op thread,
// as every other implementation timed here).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

/**
 * A session on `bytes` (a classifier with outputs output_label and output_probability);
 * `run(x, rows)` scores float32 rows [rows, columns] into { label, probabilities }.
 */
export async function ortClassifier(bytes, columns) {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const input = session.inputNames[0];
  return {
    run: async (x, rows) => {
      const out = await session.run({ [input]: new ort.Tensor('float32', x, [rows, columns]) });
      return { label: out.output_label.data, probabilities: out.output_probability.data };
    },
    release: () => session.release(),
  };
}
