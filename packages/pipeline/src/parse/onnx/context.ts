// What an operator's converter sees: the values its ONNX node reads (computed per row, or constant),
// its attributes, and a way to add pipeline operators and bind the node's outputs.
import { PipelineError } from '../../errors.js';
import type { ClassifierOp, Node, Operator } from '../../ir/types.js';
import { type AttributeSchema, Attributes } from './attributes.js';
import type { NodeProto } from './proto.js';
import type { ConstTensor, TensorKind } from './tensor.js';

/**
 * A value computed per row: a pipeline value of `columns(dims)` columns. `dims` are the ONNX
 * dimensions after the row dimension ([] for a tensor of shape [rows], [c] for [rows, c]).
 */
export interface RowValue {
  tag: 'rows';
  ir: string;
  kind: TensorKind;
  dims: number[];
  /** For a classifier's label: the head that chose it and its score inputs (to remap its labels). */
  head?: { op: ClassifierOp; scores: string[] };
}

/** A constant: an initializer, a Constant node's value, or one folded from constants. */
export interface ConstValue {
  tag: 'const';
  tensor: ConstTensor;
}

/**
 * The index of each row's largest score (ONNX `ArgMax` on axis 1), kept aside until it meets the
 * label table it indexes (`ArrayFeatureExtractor(labels, index)`) or leaves the pipeline.
 */
export interface IndexValue {
  tag: 'argmax';
  scores: string;
  columns: number;
}

export type Value = RowValue | ConstValue | IndexValue;

/** Columns of a row value: the product of its dimensions after the row dimension. */
export const columnsOf = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** One ONNX converter: the operator it handles, the attributes it accepts, the conversion. */
export interface OnnxOperator {
  domain: 'ai.onnx' | 'ai.onnx.ml';
  type: string;
  attributes: AttributeSchema;
  convert(ctx: NodeContext): void;
}

/** An ONNX-ML operator's converter. */
export const mlOperator = (
  type: string,
  attributes: AttributeSchema,
  convert: OnnxOperator['convert'],
): OnnxOperator => ({ domain: 'ai.onnx.ml', type, attributes, convert });

/** A standard-domain operator's converter. */
export const standardOperator = (
  type: string,
  attributes: AttributeSchema,
  convert: OnnxOperator['convert'],
): OnnxOperator => ({ domain: 'ai.onnx', type, attributes, convert });

/** The pipeline being built: its operators and every value and node name already taken. */
export class Builder {
  readonly nodes: Node[] = [];
  private readonly nodeNames = new Set<string>();

  constructor(private readonly valueNames: Set<string>) {}

  /** A value name no ONNX value and no earlier generated value has. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.valueNames.has(name); i++) name = `${base}_${i}`;
    this.valueNames.add(name);
    return name;
  }

  /** Renames a value everywhere it is written or read. */
  rename(from: string, to: string): void {
    for (const node of this.nodes) {
      node.inputs = node.inputs.map((n) => (n === from ? to : n));
      node.outputs = node.outputs.map((n) => (n === from ? to : n));
    }
  }

  /** Adds a pipeline operator under a unique node name derived from `base`. */
  emit(base: string, op: Operator, inputs: string[], outputs: string[]): void {
    let name = base;
    for (let i = 1; this.nodeNames.has(name); i++) name = `${base}_${i}`;
    this.nodeNames.add(name);
    this.nodes.push({ name, inputs, outputs, op });
  }
}

/** The node a converter is translating. */
export class NodeContext {
  readonly attrs: Attributes;
  private readonly base: string;

  constructor(
    private readonly builder: Builder,
    private readonly values: Map<string, Value>,
    readonly node: NodeProto,
    /** Where the node is, for errors: `nodes[i] (Type 'name')`. */
    readonly where: string,
    /** Opset versions by domain ('ai.onnx', 'ai.onnx.ml'). */
    private readonly opsets: Map<string, number>,
    schema: AttributeSchema,
    index: number,
  ) {
    this.attrs = new Attributes(node.attribute ?? [], schema, where);
    this.base = node.name || `${node.opType}_${index}`;
  }

  get opType(): string {
    return this.node.opType ?? '';
  }

  /** The opset version the model imports for `domain`. */
  opset(domain: 'ai.onnx' | 'ai.onnx.ml'): number {
    return this.opsets.get(domain) ?? 1;
  }

  fail(message: string): never {
    throw new PipelineError(message, this.where);
  }

  /** Names of the node's inputs ('' where an optional input is left out). */
  get inputNames(): string[] {
    return this.node.input ?? [];
  }

  /** Requires between `min` and `max` inputs. */
  inputCount(min: number, max = min): number {
    const n = this.inputNames.length;
    if (n < min || n > max) this.fail(`takes ${min === max ? min : `${min} to ${max}`} inputs, got ${n}`);
    return n;
  }

  /** Input `i`, or undefined where it is left out. */
  optional(i: number): Value | undefined {
    const name = this.inputNames[i];
    if (!name) return undefined;
    const v = this.values.get(name);
    if (!v) this.fail(`input '${name}' is defined by no graph input, initializer or earlier node`);
    return v;
  }

  input(i: number): Value {
    return this.optional(i) ?? this.fail(`input ${i} is required`);
  }

  /** Input `i` as a row value. */
  rows(i: number): RowValue {
    const v = this.input(i);
    if (v.tag === 'const')
      this.fail(`input ${i} ('${this.inputNames[i]}') is a constant; this operator reads a computed value`);
    if (v.tag === 'argmax')
      this.fail(
        `input ${i} ('${this.inputNames[i]}') is an ArgMax index, usable only to look up labels (ArrayFeatureExtractor)`,
      );
    return v;
  }

  /** Input `i` as a [rows, columns] matrix of numbers. */
  matrix(i: number): RowValue {
    const v = this.rows(i);
    if (v.dims.length !== 1)
      this.fail(
        `input ${i} ('${this.inputNames[i]}') has shape [N${v.dims.map((d) => `, ${d}`).join('')}]; this operator reads [rows, columns]`,
      );
    if (v.kind === 'string')
      this.fail(`input ${i} ('${this.inputNames[i]}') holds strings; this operator reads numbers`);
    return v;
  }

  /** Input `i` as a constant tensor. */
  constant(i: number): ConstTensor {
    const v = this.input(i);
    if (v.tag !== 'const')
      this.fail(`input ${i} ('${this.inputNames[i]}') must be a constant (an initializer)`);
    return v.tensor;
  }

  /** Number of outputs the node names. */
  get outputCount(): number {
    return this.node.output?.length ?? 0;
  }

  /** The pipeline value name for output `i`: its ONNX name, or a fresh one where it is unnamed. */
  outputName(i: number): string {
    const name = this.node.output?.[i];
    return name ? name : this.builder.fresh(`${this.base}_out${i}`);
  }

  /** A fresh pipeline value name for an intermediate value of this node. */
  fresh(suffix: string): string {
    return this.builder.fresh(`${this.base}_${suffix}`);
  }

  /** Binds ONNX output `i` (when the node names it) to a value. */
  define(i: number, value: Value): void {
    const name = this.node.output?.[i];
    if (name) this.values.set(name, value);
  }

  /** Adds a pipeline operator for this node. */
  emit(op: Operator, inputs: string[], outputs: string[], suffix?: string): void {
    this.builder.emit(suffix ? `${this.base}/${suffix}` : this.base, op, inputs, outputs);
  }

  /**
   * Adds an operator reading `inputs` and writing one value bound to output `i`; returns it.
   */
  emitRows(i: number, op: Operator, inputs: string[], kind: TensorKind, dims: number[]): RowValue {
    const out: RowValue = { tag: 'rows', ir: this.outputName(i), kind, dims };
    this.emit(op, inputs, [out.ir]);
    this.define(i, out);
    return out;
  }
}
