// A node's attributes, read by declared type: every attribute must be one the operator supports, of
// the type the ONNX schema gives it.
import { PipelineError } from '../../errors.js';
import type { AttributeProto } from './proto.js';
import { toInt, toText } from './proto.js';
import { type ConstTensor, readTensor } from './tensor.js';

/** ONNX AttributeProto types an operator's attributes may have here. */
export type AttributeType = 'FLOAT' | 'INT' | 'STRING' | 'TENSOR' | 'FLOATS' | 'INTS' | 'STRINGS';

const TYPE_NAMES = [
  'UNDEFINED',
  'FLOAT',
  'INT',
  'STRING',
  'TENSOR',
  'GRAPH',
  'FLOATS',
  'INTS',
  'STRINGS',
  'TENSORS',
  'GRAPHS',
  'SPARSE_TENSOR',
  'SPARSE_TENSORS',
  'TYPE_PROTO',
  'TYPE_PROTOS',
];

/** The attributes an operator accepts, by name. */
export type AttributeSchema = Record<string, AttributeType>;

/** A node's attributes checked against its operator's schema; getters return undefined when absent. */
export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(
    attributes: AttributeProto[],
    schema: AttributeSchema,
    private readonly where: string,
  ) {
    for (const a of attributes) {
      const name = a.name ?? '';
      const expected = schema[name];
      if (!expected) {
        const known = Object.keys(schema);
        throw new PipelineError(
          `attribute '${name}' is not supported; supported: ${known.length ? known.join(', ') : 'none'}`,
          where,
        );
      }
      if (this.byName.has(name)) throw new PipelineError(`attribute '${name}' is given twice`, where);
      const actual = TYPE_NAMES[a.type ?? 0] ?? `type ${a.type}`;
      if (actual !== expected)
        throw new PipelineError(`attribute '${name}' must be ${expected}, got ${actual}`, where);
      this.byName.set(name, a);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The names of the attributes the node gives. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  float(name: string): number | undefined {
    const a = this.byName.get(name);
    return a ? (a.f ?? 0) : undefined;
  }

  int(name: string): number | undefined {
    const a = this.byName.get(name);
    return a ? toInt(a.i, this.what(name)) : undefined;
  }

  string(name: string): string | undefined {
    const a = this.byName.get(name);
    return a ? toText(a.s, this.what(name)) : undefined;
  }

  floats(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? Array.from(a.floats ?? []) : undefined;
  }

  ints(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.ints ?? []).map((v, i) => toInt(v, `${this.what(name)} entry ${i}`)) : undefined;
  }

  strings(name: string): string[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.strings ?? []).map((s, i) => toText(s, `${this.what(name)} entry ${i}`)) : undefined;
  }

  tensor(name: string): ConstTensor | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    if (!a.t) throw new PipelineError(`attribute '${name}' holds no tensor`, this.where);
    try {
      return readTensor(a.t, this.what(name));
    } catch (e) {
      throw e instanceof PipelineError && !e.path ? new PipelineError(e.message, this.where) : e;
    }
  }

  /** A float or a tensor attribute's values as numbers (ai.onnx.ml 3's `*_as_tensor` alternatives). */
  numbers(name: string, asTensor: string): number[] | undefined {
    const list = this.floats(name);
    const tensor = this.tensor(asTensor);
    if (list && tensor) throw new PipelineError(`give '${name}' or '${asTensor}', not both`, this.where);
    if (!tensor) return list;
    if (tensor.kind !== 'float')
      throw new PipelineError(`attribute '${asTensor}' must hold floats, got ${tensor.kind}s`, this.where);
    return tensor.data as number[];
  }

  private what(name: string): string {
    return `${this.where}: attribute '${name}'`;
  }
}
