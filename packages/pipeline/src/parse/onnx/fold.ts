// Constant folding: standard operators whose inputs are all constants (an exported PCA takes the
// square root of its explained variances, converters reshape and cast their initializers).
import { PipelineError } from '../../errors.js';
import { type ConstTensor, elementCount } from './tensor.js';

/** numpy broadcasting of two shapes. */
function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      throw new PipelineError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The flat index into `dims` (right-aligned, broadcast) of each element of `out`. */
function sourceIndex(dims: readonly number[], out: readonly number[]): number[] {
  const count = elementCount([...out], 'a folded constant');
  const pad = out.length - dims.length;
  const result = new Array<number>(count);
  for (let flat = 0; flat < count; flat++) {
    let rest = flat;
    let src = 0;
    let stride = 1;
    for (let j = out.length - 1; j >= 0; j--) {
      const idx = rest % out[j];
      rest = Math.floor(rest / out[j]);
      const d = j - pad >= 0 ? dims[j - pad] : 1;
      if (d !== 1) src += idx * stride;
      stride *= d;
    }
    result[flat] = src;
  }
  return result;
}

const BINARY: Record<string, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  Div: (x, y) => x / y,
};

const UNARY: Record<string, (x: number) => number> = {
  Neg: (x) => -x,
  Sqrt: Math.sqrt,
  Relu: (x) => Math.max(x, 0),
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Tanh: Math.tanh,
  Reciprocal: (x) => 1 / x,
};

/** Operators {@link foldConstants} evaluates. */
export const FOLDABLE = [...Object.keys(BINARY), ...Object.keys(UNARY)];

/**
 * Evaluates `op` on constant inputs, in float32 for float tensors as onnxruntime would (integer
 * tensors keep integer arithmetic, division truncating).
 */
export function foldConstants(op: string, inputs: ConstTensor[]): ConstTensor {
  for (const t of inputs) if (t.kind === 'string') throw new PipelineError(`${op} of a string constant`);
  const float = inputs.some((t) => t.kind === 'float');
  const round = (x: number) => (float ? Math.fround(x) : Math.trunc(x));
  const unary = UNARY[op];
  if (unary) {
    const [t] = inputs;
    return { dims: t.dims, kind: t.kind, data: (t.data as number[]).map((x) => round(unary(x))) };
  }
  const binary = BINARY[op];
  if (!binary) throw new PipelineError(`${op} cannot be evaluated on constants`);
  const [a, b] = inputs;
  const dims = broadcastShape(a.dims, b.dims);
  const ia = sourceIndex(a.dims, dims);
  const ib = sourceIndex(b.dims, dims);
  const x = a.data as number[];
  const y = b.data as number[];
  return { dims, kind: float ? 'float' : 'int', data: ia.map((i, k) => round(binary(x[i], y[ib[k]]))) };
}
