import type { ClassifierOp, Node, Operator, Pipeline, SourceFormat, ValueInfo } from '../ir/types.js';
import { validatePipeline } from '../ir/validate.js';

/**
 * Assembles a pipeline node by node for the JSON parsers: unique node and value names, the final
 * values renamed to the names callers see (`label`, `probabilities`, `variable`, ...), and the
 * result validated before it is returned.
 */
export class PipelineBuilder {
  private readonly nodes: Node[] = [];
  private readonly taken = new Set<string>();
  private readonly nodeNames = new Set<string>();

  constructor(
    private readonly source: SourceFormat,
    private readonly inputs: ValueInfo[],
    /** The names the pipeline's outputs will take; no intermediate value gets one. */
    private readonly outputNames: readonly string[],
  ) {
    for (const v of inputs) this.taken.add(v.name);
    for (const name of outputNames) this.taken.add(name);
  }

  /** `hint`, or `hint_2`, `hint_3`, … : the first not in `taken`, which then holds it. */
  private fresh(hint: string, taken = this.taken): string {
    let name = hint;
    for (let k = 2; taken.has(name); k++) name = `${hint}_${k}`;
    taken.add(name);
    return name;
  }

  /**
   * Adds a node named after `name` (made unique) applying `op` to `inputs`; its `outputs` values
   * are named after their hints (made unique). Returns the output value names.
   */
  add(name: string, op: Operator, inputs: string[], outputs: string[] = [name]): string[] {
    const outs = outputs.map((o) => this.fresh(o));
    this.nodes.push({ name: this.fresh(name, this.nodeNames), op, inputs, outputs: outs });
    return outs;
  }

  /** {@link add} for a node with one output; returns its name. */
  add1(name: string, op: Operator, inputs: string[]): string {
    return this.add(name, op, inputs)[0];
  }

  /**
   * The classifier head on `scores` (see {@link ClassifierOp}): returns the label and the class
   * columns (probabilities or scores).
   */
  classify(
    name: string,
    scores: string,
    labels: ClassifierOp['labels'],
    binary: ClassifierOp['binary'],
  ): [string, string] {
    const op: Operator = { kind: 'classifier', labels, binary };
    const [label, columns] = this.add(name, op, [scores], [`${name}:label`, `${name}:classes`]);
    return [label, columns];
  }

  /**
   * The pipeline whose outputs are `values`, renamed to `names` (from the constructor's
   * `outputNames`); a pipeline input or a value named twice passes through an identity node.
   * Validated.
   */
  finish(values: string[], names: string[]): Pipeline {
    const renamed = new Map<string, string>();
    values.forEach((v, i) => {
      const name = names[i];
      if (!this.outputNames.includes(name)) throw new Error(`output name '${name}' was not reserved`);
      if (renamed.has(v) || !this.nodes.some((n) => n.outputs.includes(v))) {
        const op: Operator = { kind: 'activation', fn: 'identity' };
        this.nodes.push({
          name: this.fresh(`${name}:identity`, this.nodeNames),
          op,
          inputs: [v],
          outputs: [name],
        });
      } else {
        renamed.set(v, name);
      }
    });
    const rename = (v: string) => renamed.get(v) ?? v;
    const nodes = this.nodes.map((n) => ({
      ...n,
      inputs: n.inputs.map(rename),
      outputs: n.outputs.map(rename),
    }));
    const pipeline: Pipeline = { source: this.source, inputs: this.inputs, outputs: names, nodes };
    validatePipeline(pipeline);
    return pipeline;
  }
}
