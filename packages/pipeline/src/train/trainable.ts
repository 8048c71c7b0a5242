import { Module } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { RULES } from '../compile/ops/index.js';
import type { CompiledOp, CompileRule } from '../compile/ops/rule.js';
import { postTransform } from '../compile/post.js';
import { isLabels, numericLabels, type RunValue } from '../compile/value.js';
import { PipelineError } from '../errors.js';
import type { LinearOp, Node, Pipeline, ScalerOp, TreeEnsembleOp, ValueInfo } from '../ir/types.js';
import { validatePipeline } from '../ir/validate.js';
import { SoftTreeEnsemble } from './soft-trees.js';

/** Options of {@link toTrainable}. */
export interface TrainableOptions {
  backend?: T.Backend;
  /** Temperature of the relaxed tree tests (see {@link SoftTreeEnsemble}); default 0.1. */
  temperature?: number;
  /**
   * Rows [rows, columns] of the pipeline's (single, float) input to measure each feature's spread,
   * which scales the relaxation of the tree tests that read it; without them every scale is 1.
   */
  calibration?: Float32Array;
}

/** A trainable stand-in for one node: its parameters, and its forward pass over tensors. */
interface TrainableNode {
  forward(inputs: RunValue[], rows: number, hard: boolean): RunValue[];
  /** The node's operator with its current parameters. */
  toOperator(): Promise<Node['op']>;
}

class TrainableScaler extends Module implements TrainableNode {
  readonly offset: T.Tensor;
  readonly scale: T.Tensor;
  constructor(
    readonly op: ScalerOp,
    backend: T.Backend,
  ) {
    super();
    const row = (v: number[]) => T.tensor(Float32Array.from(v), { shape: [1, v.length], backend });
    this.offset = this.param('offset', row(op.offset));
    this.scale = this.param('scale', row(op.scale));
  }
  forward([x]: RunValue[]): RunValue[] {
    const t = x as T.Tensor;
    // NaN entries (missing values for the trees after) pass through untouched: scaled, their
    // zero upstream gradient times NaN would make the offset and scale gradients NaN.
    const nan = T.ne(t, t);
    return [T.where(nan, t, T.mul(T.sub(T.where(nan, 0, t), this.offset), this.scale))];
  }
  async toOperator(): Promise<ScalerOp> {
    return { kind: 'scaler', offset: [...(await this.offset.data())], scale: [...(await this.scale.data())] };
  }
}

class TrainableLinear extends Module implements TrainableNode {
  readonly weight: T.Tensor;
  readonly bias: T.Tensor;
  constructor(
    readonly op: LinearOp,
    backend: T.Backend,
  ) {
    super();
    const [outs, ins] = [op.weights.length, op.weights[0].length];
    this.weight = this.param(
      'weight',
      T.tensor(Float32Array.from(op.weights.flat()), { shape: [outs, ins], backend }),
    );
    this.bias = this.param('bias', T.tensor(Float32Array.from(op.bias), { shape: [1, outs], backend }));
  }
  forward([x]: RunValue[]): RunValue[] {
    return [postTransform(T.add(T.matmul(x as T.Tensor, T.transpose(this.weight)), this.bias), this.op.post)];
  }
  async toOperator(): Promise<LinearOp> {
    const [w, b] = [await this.weight.data(), await this.bias.data()];
    const ins = this.weight.shape[1];
    return {
      ...this.op,
      weights: Array.from({ length: this.weight.shape[0] }, (_, o) => [
        ...w.subarray(o * ins, (o + 1) * ins),
      ]),
      bias: [...b],
    };
  }
}

/** A tree ensemble node: its relaxed module. */
class TreesNode implements TrainableNode {
  constructor(readonly trees: SoftTreeEnsemble) {}
  forward([x]: RunValue[], _rows: number, hard: boolean): RunValue[] {
    return [this.trees.forward(x as T.Tensor, hard)];
  }
  toOperator(): Promise<TreeEnsembleOp> {
    return this.trees.toOperator();
  }
}

/** A fixed (untrained) operator: the compiled one, which must run without a host round trip. */
class FixedNode implements TrainableNode {
  constructor(
    private readonly node: Node,
    private readonly compiled: CompiledOp,
  ) {}
  forward(inputs: RunValue[], rows: number): RunValue[] {
    const out = this.compiled.run(inputs, rows);
    if (out instanceof Promise) {
      throw new PipelineError(
        `${this.node.op.kind} needs a host-side lookup (strings, or refusing unknown categories) and cannot be part of a trained network; encode such inputs before training`,
        `nodes (${this.node.name})`,
      );
    }
    return out;
  }
  async toOperator(): Promise<Node['op']> {
    return this.node.op;
  }
}

/**
 * A pipeline as one network (arXiv 1906.03822): scalers, linear layers (linear and logistic
 * models, PCA, MLP layers) and tree ensembles become trainable modules initialised from the fitted
 * parameters; the other operators stay as compiled. `forward(x)` gives every pipeline output as a
 * differentiable tensor (classifier labels as i32 indices); `forward(x, { hard: true })` is exactly
 * the compiled pipeline with the current parameters. {@link TrainablePipeline.toPipeline} gives
 * the trained pipeline back in the intermediate form, to compile or save.
 */
export class TrainablePipeline extends Module {
  private readonly steps: TrainableNode[] = [];
  private readonly ensembles: SoftTreeEnsemble[] = [];
  private readonly fixed: CompiledOp[] = [];

  /** @internal Use {@link toTrainable}. */
  constructor(
    readonly pipeline: Pipeline,
    readonly backend: T.Backend,
    options: TrainableOptions,
    featureScale: Float32Array | undefined,
    values: Map<string, ValueInfo>,
  ) {
    super();
    pipeline.nodes.forEach((node, i) => {
      const name = `${i}_${node.op.kind}`;
      const op = node.op;
      if (op.kind === 'scaler') this.steps.push(this.child(name, new TrainableScaler(op, backend)));
      else if (op.kind === 'linear') this.steps.push(this.child(name, new TrainableLinear(op, backend)));
      else if (op.kind === 'trees') {
        // Feature scales only apply where the trees read the pipeline's input directly.
        const direct = node.inputs[0] === pipeline.inputs[0]?.name ? featureScale : undefined;
        const trees = this.child(
          name,
          new SoftTreeEnsemble(op, backend, {
            temperature: options.temperature ?? 0.1,
            featureScale: direct,
          }),
        );
        this.ensembles.push(trees);
        this.steps.push(new TreesNode(trees));
      } else {
        const rule = RULES[op.kind] as CompileRule<typeof op.kind>;
        const compiled = rule(op as never, {
          backend,
          inputs: node.inputs.map((n) => values.get(n) as ValueInfo),
          strategy: 'gemm',
        });
        this.fixed.push(compiled);
        this.steps.push(new FixedNode(node, compiled));
      }
    });
  }

  /** Sets the temperature of every relaxed tree ensemble (anneal it toward 0 while training). */
  set temperature(t: number) {
    if (!(t > 0)) throw new PipelineError(`temperature must be > 0, got ${t}`, 'TrainablePipeline');
    for (const e of this.ensembles) e.temperature = t;
  }

  /**
   * Every pipeline output for the rows of `x` (the single float input [rows, columns], or inputs by
   * name as tensors): probabilities and scores as differentiable tensors, labels as i32 indices.
   */
  forward(
    x: T.Tensor | Record<string, T.Tensor>,
    options: { hard?: boolean } = {},
  ): Record<string, T.Tensor> {
    const inputs = x instanceof T.Tensor ? { [this.pipeline.inputs[0].name]: x } : x;
    const rows = Object.values(inputs)[0].shape[0];
    const env = new Map<string, RunValue>(Object.entries(inputs));
    this.pipeline.nodes.forEach((node, i) => {
      const outs = this.steps[i].forward(
        node.inputs.map((n) => {
          const v = env.get(n);
          if (!v) throw new PipelineError(`input '${n}' is missing`, 'TrainablePipeline.forward');
          if (!isLabels(v)) return v;
          const values = numericLabels(v, this.backend);
          if (!values)
            throw new PipelineError(
              `'${n}' holds string labels, which a network cannot carry`,
              `nodes (${node.name})`,
            );
          return values;
        }),
        rows,
        options.hard ?? false,
      );
      node.outputs.forEach((n, k) => {
        env.set(n, outs[k]);
      });
    });
    return Object.fromEntries(
      this.pipeline.outputs.map((n) => {
        const v = env.get(n) as RunValue;
        return [n, isLabels(v) ? v.index : (v as T.Tensor)];
      }),
    );
  }

  /** The pipeline with the trained parameters, in the intermediate form (compile it, or save it). */
  async toPipeline(): Promise<Pipeline> {
    const ops = await Promise.all(this.steps.map((s) => s.toOperator()));
    return { ...this.pipeline, nodes: this.pipeline.nodes.map((n, i) => ({ ...n, op: ops[i] })) };
  }

  override dispose(): void {
    for (const e of this.ensembles) e.dispose(); // its parameters and its path matrices
    super.dispose(); // the other parameters
    for (const f of this.fixed) f.dispose();
  }
}

/** Per-column standard deviations of row-major rows [rows, columns]. */
function columnSpread(x: Float32Array, columns: number): Float32Array {
  const rows = x.length / columns;
  const out = new Float32Array(columns);
  for (let c = 0; c < columns; c++) {
    let [n, mean, m2] = [0, 0, 0];
    for (let r = 0; r < rows; r++) {
      const v = x[r * columns + c];
      if (!Number.isFinite(v)) continue;
      n++;
      const d = v - mean;
      mean += d / n;
      m2 += d * (v - mean);
    }
    out[c] = n > 1 ? Math.sqrt(m2 / (n - 1)) : 1;
  }
  return out;
}

/**
 * A pipeline as a trainable network initialised from its fitted parameters (see
 * {@link TrainablePipeline}); validated first.
 */
export function toTrainable(pipeline: Pipeline, options: TrainableOptions = {}): TrainablePipeline {
  const { values } = validatePipeline(pipeline);
  const backend = options.backend ?? T.getBackend();
  const t = options.temperature ?? 0.1;
  if (!(t > 0)) throw new PipelineError(`temperature must be > 0, got ${t}`, 'toTrainable');
  let scale: Float32Array | undefined;
  if (options.calibration) {
    const first = pipeline.inputs[0];
    if (options.calibration.length % first.columns !== 0)
      throw new PipelineError(
        `calibration has ${options.calibration.length} values, not a multiple of input '${first.name}''s ${first.columns} columns`,
        'toTrainable',
      );
    scale = columnSpread(options.calibration, first.columns);
  }
  return new TrainablePipeline(pipeline, backend, options, scale, values);
}
