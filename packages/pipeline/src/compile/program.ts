import * as T from '@tessera/tensor';
import { PipelineError } from '../errors.js';
import type { Pipeline, ValueInfo } from '../ir/types.js';
import { validatePipeline } from '../ir/validate.js';
import { foldScalersIntoTrees } from './fold-scalers.js';
import { RULES } from './ops/index.js';
import type { CompiledOp, CompileRule } from './ops/rule.js';
import type { StrategyChoice, TreeStrategyName } from './trees/strategy.js';
import { isLabels, isStrings, labelsAsValues, type RunValue } from './value.js';

/** Options of {@link compile}. */
export interface CompileOptions {
  /** Where the program's constants live and it runs. Default: the backend chosen by `T.init()`. */
  backend?: T.Backend;
  /**
   * How tree ensembles compile: Hummingbird's GEMM, TreeTraversal or PerfectTreeTraversal by name;
   * 'auto' (default), the traversal, the fastest here at every depth and batch measured; or
   * 'hummingbird', Hummingbird's choice by depth (GEMM <= 3, perfect <= 10, traversal beyond).
   */
  strategy?: StrategyChoice;
}

/** One input's rows: row-major numbers (a Float32Array keeps its float32 values) or strings. */
export type InputColumns = Float32Array | Float64Array | Int32Array | readonly number[] | readonly string[];

/** What {@link CompiledPipeline.predict} takes: the single input's rows, or each input by name. */
export type PredictInput = InputColumns | Record<string, InputColumns>;

/** What {@link CompiledPipeline.predict} gives: each output by name, row-major floats or labels. */
export type PredictOutput = Record<string, Float32Array | (number | string)[]>;

// tidy's async scopes must not interleave: predictions run one at a time, in call order.
let queue: Promise<unknown> = Promise.resolve();
function exclusive<R>(f: () => Promise<R>): Promise<R> {
  const run = queue.then(f, f);
  queue = run.catch(() => undefined);
  return run;
}

const STRATEGIES = ['auto', 'hummingbird', 'gemm', 'tree_traversal', 'perfect_tree_traversal'];

/**
 * A pipeline compiled to tensor programs on one backend. Holds its parameters on the device until
 * {@link CompiledPipeline.dispose}.
 */
export class CompiledPipeline {
  private disposed = false;

  /** @internal Use {@link compile}. */
  constructor(
    readonly pipeline: Pipeline,
    readonly backend: T.Backend,
    private readonly ops: CompiledOp[],
  ) {}

  /** The tree strategy of each tree-ensemble node, by node name. */
  get strategies(): Record<string, TreeStrategyName> {
    const out: Record<string, TreeStrategyName> = {};
    this.ops.forEach((op, i) => {
      if (op.strategy) out[this.pipeline.nodes[i].name] = op.strategy;
    });
    return out;
  }

  /**
   * Scores rows: `inputs` holds each pipeline input's values row-major (numbers for float inputs,
   * strings or numbers for categorical ones), the number of rows following from its length.
   * Resolves to every pipeline output: floats row-major, labels as an array.
   */
  async predict(inputs: PredictInput): Promise<PredictOutput> {
    if (this.disposed) throw new PipelineError('the compiled pipeline was disposed', 'predict');
    const { rows, values } = this.bind(inputs);
    return exclusive(() =>
      T.tidy(async () => {
        const env = new Map<string, RunValue>(values.map(([name, v]) => [name, v()]));
        for (const [i, node] of this.pipeline.nodes.entries()) {
          // Labels are read as their values by any operator but the output (see labelsAsValues).
          const inputs = await Promise.all(
            node.inputs.map((n) => {
              const v = env.get(n) as RunValue;
              return isLabels(v) ? labelsAsValues(v, this.backend) : v;
            }),
          );
          const outs = await this.ops[i].run(inputs, rows);
          node.outputs.forEach((n, k) => {
            env.set(n, outs[k]);
          });
        }
        const result: PredictOutput = {};
        for (const name of this.pipeline.outputs) result[name] = await readOut(env.get(name) as RunValue);
        return result;
      }),
    );
  }

  /** Frees the parameters on the device; later calls to predict reject. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const op of this.ops) op.dispose();
  }

  /** Checks the inputs against the pipeline's; each value is made (numbers put on the device) when called. */
  private bind(inputs: PredictInput): { rows: number; values: [string, () => RunValue][] } {
    const declared = this.pipeline.inputs;
    const byName: Record<string, InputColumns> =
      ArrayBuffer.isView(inputs) || Array.isArray(inputs)
        ? { [declared[0].name]: inputs as InputColumns }
        : (inputs as Record<string, InputColumns>);
    if ((ArrayBuffer.isView(inputs) || Array.isArray(inputs)) && declared.length !== 1) {
      throw new PipelineError(
        `the pipeline takes ${declared.length} inputs (${declared.map((d) => `'${d.name}'`).join(', ')}); pass an object with one entry each`,
        'predict',
      );
    }
    for (const name of Object.keys(byName)) {
      if (!declared.some((d) => d.name === name))
        throw new PipelineError(
          `unknown input '${name}'; the inputs are ${declared.map((d) => `'${d.name}'`).join(', ')}`,
          'predict',
        );
    }
    let rows = -1;
    const values: [string, () => RunValue][] = [];
    for (const d of declared) {
      const data = byName[d.name];
      if (!data) throw new PipelineError(`input '${d.name}' is missing`, 'predict');
      if (data.length % d.columns !== 0)
        throw new PipelineError(
          `input '${d.name}' has ${data.length} values, not a multiple of its ${d.columns} columns`,
          'predict',
        );
      const n = data.length / d.columns;
      if (rows >= 0 && n !== rows)
        throw new PipelineError(`input '${d.name}' has ${n} rows, the others ${rows}`, 'predict');
      rows = n;
      const strings =
        (data as readonly unknown[]).length > 0 && typeof (data as readonly unknown[])[0] === 'string';
      if (d.kind === 'string') {
        if (!Array.isArray(data) || !data.every((v) => typeof v === 'string'))
          throw new PipelineError(`input '${d.name}' holds strings (categories); got numbers`, 'predict');
        values.push([d.name, () => ({ strings: data as string[], columns: d.columns })]);
      } else {
        if (strings) throw new PipelineError(`input '${d.name}' holds numbers; got strings`, 'predict');
        const f32 = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
        if (d.refusesNaN) refuseNaN(d, f32);
        values.push([d.name, () => T.tensor(f32, { shape: [n, d.columns], backend: this.backend })]);
      }
    }
    return { rows, values };
  }
}

/** Throws where a column whose source model refuses missing values holds NaN, naming row and column. */
function refuseNaN(d: ValueInfo, data: Float32Array): void {
  const refused = d.refusesNaN!;
  for (let i = 0; i < data.length; i++) {
    const c = i % d.columns;
    if (Number.isNaN(data[i]) && refused[c]) {
      const column = d.columnNames ? `'${d.columnNames[c]}' (column ${c})` : `column ${c}`;
      throw new PipelineError(
        `input '${d.name}' row ${Math.floor(i / d.columns)}, ${column}, is NaN; the source model does not accept missing values there`,
        'predict',
      );
    }
  }
}

/** An output value as the caller gets it. */
async function readOut(v: RunValue): Promise<Float32Array | (number | string)[]> {
  if (isStrings(v)) return [...v.strings];
  if (isLabels(v)) return [...(await v.index.data())].map((i) => v.labels[i]);
  return (await T.cast(v, 'f32').data()) as Float32Array;
}

/**
 * Compiles a pipeline into tensor programs on a backend: it is validated first, scalers that feed
 * tree ensembles are folded into the trees' thresholds (exact where a float32 scaling is not), then
 * each operator uploads its parameters once. Tree ensembles use `strategy` (or the depth heuristic).
 * `program.pipeline` is the pipeline as compiled.
 */
export function compile(pipeline: Pipeline, options: CompileOptions = {}): CompiledPipeline {
  const strategy = options.strategy ?? 'auto';
  if (!STRATEGIES.includes(strategy))
    throw new PipelineError(`strategy must be one of ${STRATEGIES.join(', ')}, got '${strategy}'`, 'compile');
  validatePipeline(pipeline);
  // Exactness first: scalers feeding trees become the trees' thresholds (see fold-scalers.ts).
  const program = foldScalersIntoTrees(pipeline);
  const { values } = validatePipeline(program);
  const backend = options.backend ?? T.getBackend();
  const ops: CompiledOp[] = [];
  try {
    for (const node of program.nodes) {
      const rule = RULES[node.op.kind] as CompileRule<typeof node.op.kind>;
      const inputs = node.inputs.map((n) => values.get(n) as ValueInfo);
      ops.push(rule(node.op as never, { backend, inputs, strategy }));
    }
  } catch (e) {
    for (const op of ops) op.dispose();
    throw e;
  }
  return new CompiledPipeline(program, backend, ops);
}
