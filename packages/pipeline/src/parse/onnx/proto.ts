// Reading ONNX protobuf messages: the model itself (decoded by onnx-proto's protobufjs classes) and
// the scalar conversions every other reader needs (64-bit integers, UTF-8 strings).
import onnxProto from 'onnx-proto';
import { PipelineError } from '../../errors.js';

export const { onnx } = onnxProto;
export type ModelProto = InstanceType<typeof onnx.ModelProto>;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** A protobuf int64 as protobufjs gives it: a Long when the `long` package is present, else a number. */
export type Int64 = number | { toNumber(): number; toString(): string } | null | undefined;

/** Decodes a serialized ModelProto; anything protobufjs cannot read becomes a {@link PipelineError}. */
export function readModel(bytes: Uint8Array): ModelProto {
  if (!(bytes instanceof Uint8Array))
    throw new PipelineError(
      `expected the model file's bytes as a Uint8Array, got ${describe(bytes)}`,
      'bytes',
    );
  if (bytes.length === 0) throw new PipelineError('the model file is empty', 'bytes');
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new PipelineError(
      `not a readable ONNX model (protobuf decoding failed: ${(e as Error).message})`,
      'bytes',
    );
  }
}

/** An int64 field as a JS number, refused when it is not exactly representable. */
export function toInt(value: Int64, what: string): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  const n = value.toNumber();
  if (!Number.isSafeInteger(n)) throw new PipelineError(`${what} is ${value.toString()}, beyond ±2^53`);
  return n;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A protobuf bytes field holding text, refused when it is not UTF-8. */
export function toText(bytes: Uint8Array | null | undefined, what: string): string {
  if (!bytes) return '';
  try {
    return utf8.decode(bytes);
  } catch {
    throw new PipelineError(`${what} is not valid UTF-8 text`);
  }
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x;
  return (x as object).constructor?.name ?? 'an object';
}
