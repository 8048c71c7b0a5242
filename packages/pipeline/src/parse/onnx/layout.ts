// Column bookkeeping for ONNX tensors that are per-row values: which flat columns a Gather or a
// Concat along some axis picks, and how a constant broadcasts over a row's columns.
import { PipelineError } from '../../errors.js';
import { columnsOf } from './context.js';

/** Row-major strides of `dims`. */
function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

/**
 * Gathering `indices` (of shape `indexDims`) along `axis` of a row value of dimensions `dims`
 * (axis 0 is the first dimension after the row): the result's dimensions and, for each of its
 * columns, the input column it copies.
 */
export function gatherColumns(
  dims: readonly number[],
  axis: number,
  indices: readonly number[],
  indexDims: readonly number[],
): { dims: number[]; columns: number[] } {
  const size = dims[axis];
  const picked = indices.map((i) => {
    const j = i < 0 ? i + size : i;
    if (!(Number.isInteger(j) && j >= 0 && j < size))
      throw new PipelineError(`index ${i} is outside ${-size}..${size - 1}`);
    return j;
  });
  const outDims = [...dims.slice(0, axis), ...indexDims, ...dims.slice(axis + 1)];
  const inStride = strides(dims);
  const outer = columnsOf(dims.slice(0, axis));
  const inner = columnsOf(dims.slice(axis + 1));
  const columns: number[] = [];
  for (let o = 0; o < outer; o++)
    for (const j of picked)
      for (let k = 0; k < inner; k++) columns.push(o * inStride[axis] * size + j * inner + k);
  return { dims: outDims, columns };
}

/**
 * Concatenating row values along `axis` (0 = the first dimension after the row): the result's
 * dimensions and, for each of its columns, the column of the inputs placed side by side (input 0's
 * columns first) that it copies; null when that is already the order.
 */
export function concatColumns(
  inputs: readonly (readonly number[])[],
  axis: number,
): { dims: number[]; columns: number[] | null } {
  const first = inputs[0];
  for (const [i, d] of inputs.entries()) {
    if (d.length !== first.length)
      throw new PipelineError(`input ${i} has rank ${d.length + 1}, input 0 has ${first.length + 1}`);
    for (let j = 0; j < d.length; j++) {
      if (j !== axis && d[j] !== first[j])
        throw new PipelineError(`input ${i} has dimension ${d[j]} at axis ${j + 1}, input 0 has ${first[j]}`);
    }
  }
  const outDims = [...first];
  outDims[axis] = inputs.reduce((s, d) => s + d[axis], 0);
  const outer = columnsOf(first.slice(0, axis));
  if (outer === 1) return { dims: outDims, columns: null };
  const inner = columnsOf(first.slice(axis + 1));
  const offsets: number[] = [];
  let at = 0;
  for (const d of inputs) {
    offsets.push(at);
    at += columnsOf(d);
  }
  const columns: number[] = [];
  for (let o = 0; o < outer; o++)
    inputs.forEach((d, i) => {
      const block = d[axis] * inner;
      for (let k = 0; k < block; k++) columns.push(offsets[i] + o * block + k);
    });
  return { dims: outDims, columns };
}

/**
 * A constant of shape `constDims` broadcast over a row value of dimensions `dims` without growing
 * it (numpy rules, the row dimension being the constant's optional leading 1): one value per
 * column, or a single value when all are equal.
 */
export function broadcastOverRow(
  dims: readonly number[],
  constDims: readonly number[],
  data: readonly number[],
): number[] {
  let cd = [...constDims];
  if (cd.length > dims.length + 1)
    throw new PipelineError(
      `a constant of rank ${cd.length} does not broadcast over rank ${dims.length + 1}`,
    );
  if (cd.length === dims.length + 1) {
    if (cd[0] !== 1)
      throw new PipelineError(
        `a constant's leading dimension ${cd[0]} would apply across rows; it must be 1`,
      );
    cd = cd.slice(1);
  }
  const pad = dims.length - cd.length;
  const full = [...Array(pad).fill(1), ...cd];
  full.forEach((c, j) => {
    if (c !== 1 && c !== dims[j])
      throw new PipelineError(
        `a constant of shape [${constDims.join(', ')}] does not broadcast over [N, ${dims.join(', ')}]`,
      );
  });
  const cs = strides(full);
  const ds = strides(dims);
  const n = columnsOf(dims);
  const out = new Array<number>(n);
  for (let col = 0; col < n; col++) {
    let src = 0;
    for (let j = 0; j < dims.length; j++) {
      const idx = Math.floor(col / ds[j]) % dims[j];
      if (full[j] !== 1) src += idx * cs[j];
    }
    out[col] = data[src];
  }
  return out.every((v) => Object.is(v, out[0])) ? [out[0]] : out;
}
