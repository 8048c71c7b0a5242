// Constant tensors (initializers, Constant nodes, tensor attributes) decoded into plain arrays.
import { PipelineError } from '../../errors.js';
import { type TensorProto, toInt, toText } from './proto.js';

/** Element kinds of ONNX tensors, as the pipeline sees them. */
export type TensorKind = 'float' | 'int' | 'string';

/** A decoded constant tensor: its full shape and its elements in row-major order. */
export interface ConstTensor {
  dims: number[];
  kind: TensorKind;
  data: number[] | string[];
}

/** ONNX TensorProto.DataType codes this parser reads: [name, kind, bytes per raw element]. */
const DATA_TYPES: Record<number, [string, TensorKind, number]> = {
  1: ['FLOAT', 'float', 4],
  2: ['UINT8', 'int', 1],
  3: ['INT8', 'int', 1],
  4: ['UINT16', 'int', 2],
  5: ['INT16', 'int', 2],
  6: ['INT32', 'int', 4],
  7: ['INT64', 'int', 8],
  8: ['STRING', 'string', 0],
  9: ['BOOL', 'int', 1],
  11: ['DOUBLE', 'float', 8],
  12: ['UINT32', 'int', 4],
};

/** The ONNX name of a data type code, for messages. */
export function dataTypeName(code: number): string {
  return DATA_TYPES[code]?.[0] ?? `data type ${code}`;
}

/** The pipeline kind of an ONNX element type, or undefined when it has none here. */
export function kindOfDataType(code: number): TensorKind | undefined {
  return DATA_TYPES[code]?.[1];
}

/** Number of elements of `dims`, refused when a dimension is negative or the count is absurd. */
export function elementCount(dims: number[], what: string): number {
  let n = 1;
  for (const d of dims) {
    if (!(Number.isSafeInteger(d) && d >= 0)) throw new PipelineError(`${what} has dimension ${d}`);
    n *= d;
    if (n > 2 ** 31) throw new PipelineError(`${what} has ${dims.join(' × ')} elements, too many`);
  }
  return n;
}

/** Decodes a TensorProto; `what` names it in errors. */
export function readTensor(t: TensorProto, what: string): ConstTensor {
  const code = t.dataType ?? 0;
  const type = DATA_TYPES[code];
  if (!type)
    throw new PipelineError(
      `${what} has element type ${dataTypeName(code)}; supported: ${Object.values(DATA_TYPES)
        .map(([n]) => n)
        .join(', ')}`,
    );
  if (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0)
    throw new PipelineError(`${what} keeps its data in an external file, which is not supported`);
  const dims = (t.dims ?? []).map((d, i) => toInt(d, `${what} dimension ${i}`));
  const count = elementCount(dims, what);
  const [name, kind, width] = type;
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  let data: number[] | string[];
  if (kind === 'string') {
    data = (t.stringData ?? []).map((s, i) => toText(s, `${what} string ${i}`));
  } else if (raw) {
    if (raw.length !== count * width)
      throw new PipelineError(
        `${what} holds ${raw.length} raw bytes, ${count} ${name} elements need ${count * width}`,
      );
    data = readRaw(raw, code, count, what);
  } else {
    data = typedField(t, code, what);
  }
  if (data.length !== count)
    throw new PipelineError(
      `${what} has shape [${dims.join(', ')}] (${count} elements) but holds ${data.length}`,
    );
  return { dims, kind, data };
}

function typedField(t: TensorProto, code: number, what: string): number[] {
  switch (code) {
    case 1:
      return Array.from(t.floatData ?? []);
    case 11:
      return Array.from(t.doubleData ?? []);
    case 7:
      return (t.int64Data ?? []).map((v, i) => toInt(v, `${what} element ${i}`));
    case 12:
      return (t.uint64Data ?? []).map((v, i) => toInt(v, `${what} element ${i}`));
    default:
      return Array.from(t.int32Data ?? []);
  }
}

function readRaw(raw: Uint8Array, code: number, count: number, what: string): number[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    switch (code) {
      case 1:
        out[i] = view.getFloat32(i * 4, true);
        break;
      case 11:
        out[i] = view.getFloat64(i * 8, true);
        break;
      case 2:
      case 9:
        out[i] = view.getUint8(i);
        break;
      case 3:
        out[i] = view.getInt8(i);
        break;
      case 4:
        out[i] = view.getUint16(i * 2, true);
        break;
      case 5:
        out[i] = view.getInt16(i * 2, true);
        break;
      case 6:
        out[i] = view.getInt32(i * 4, true);
        break;
      case 12:
        out[i] = view.getUint32(i * 4, true);
        break;
      default: {
        const v = view.getBigInt64(i * 8, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
          throw new PipelineError(`${what} element ${i} is ${v}, beyond ±2^53`);
        out[i] = Number(v);
      }
    }
  }
  return out;
}
