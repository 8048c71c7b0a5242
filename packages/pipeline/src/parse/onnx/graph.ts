// The graph walk: constants and inputs first, then the nodes the graph outputs depend on, in
// dependency order (cycles and dangling inputs refused), each through its operator's converter.
import { PipelineError } from '../../errors.js';
import type { Pipeline, ValueInfo } from '../../ir/types.js';
import { Builder, columnsOf, NodeContext, type OnnxOperator, type Value } from './context.js';
import { type GraphProto, type NodeProto, toInt, type ValueInfoProto } from './proto.js';
import { dataTypeName, kindOfDataType, readTensor } from './tensor.js';

/** The domains an ONNX-ML pipeline's operators come from ('' is the standard domain). */
const domainOf = (d: string | null | undefined): string => (!d || d === 'ai.onnx' ? 'ai.onnx' : d);

/** Every supported operator, by domain and type. */
export function operatorTable(ops: OnnxOperator[]): Map<string, OnnxOperator> {
  return new Map(ops.map((op) => [`${op.domain}:${op.type}`, op]));
}

/** The supported operators listed for messages: `ai.onnx.ml: A, B; ai.onnx: C`. */
export function supportedList(ops: OnnxOperator[]): string {
  const byDomain = new Map<string, string[]>();
  for (const op of ops) byDomain.set(op.domain, [...(byDomain.get(op.domain) ?? []), op.type]);
  return [...byDomain].map(([d, types]) => `${d}: ${types.sort().join(', ')}`).join('; ');
}

/** Translates a decoded graph into a pipeline (not yet validated). */
export function walkGraph(graph: GraphProto, opsets: Map<string, number>, ops: OnnxOperator[]): Pipeline {
  const table = operatorTable(ops);
  const nodes = graph.node ?? [];
  const names = new Set<string>();
  const values = new Map<string, Value>();

  for (const [i, t] of (graph.initializer ?? []).entries()) {
    const name = t.name ?? '';
    if (!name) throw new PipelineError('an initializer has no name', `initializer[${i}]`);
    if (values.has(name))
      throw new PipelineError(`initializer '${name}' is defined twice`, `initializer[${i}]`);
    values.set(name, { tag: 'const', tensor: readTensor(t, `initializer '${name}'`) });
    names.add(name);
  }

  const inputs: ValueInfo[] = [];
  for (const [i, vi] of (graph.input ?? []).entries()) {
    const name = vi.name ?? '';
    if (values.has(name)) continue; // an initializer listed among the inputs (IR version < 4)
    const { kind, dims } = readInputType(vi, `inputs[${i}] ('${name}')`);
    if (!name) throw new PipelineError('a graph input has no name', `inputs[${i}]`);
    if (names.has(name)) throw new PipelineError(`input '${name}' is declared twice`, `inputs[${i}]`);
    values.set(name, { tag: 'rows', ir: name, kind, dims });
    inputs.push({ name, kind, columns: columnsOf(dims) });
    names.add(name);
  }

  // Which node makes each value; every value has one producer (ONNX graphs are single assignment).
  const producer = new Map<string, number>();
  nodes.forEach((node, n) => {
    for (const out of node.output ?? []) {
      if (!out) continue;
      if (values.has(out) || producer.has(out))
        throw new PipelineError(`writes '${out}', which is already defined`, where(node, n));
      producer.set(out, n);
      names.add(out);
    }
  });

  const outputs = (graph.output ?? []).map((o, i) => {
    if (!o.name) throw new PipelineError('a graph output has no name', `outputs[${i}]`);
    return o.name;
  });
  const repeated = outputs.find((o, i) => outputs.indexOf(o) !== i);
  if (repeated !== undefined) throw new PipelineError(`output '${repeated}' is listed twice`, 'outputs');
  if (outputs.length === 0) throw new PipelineError('the graph has no outputs', 'outputs');
  const order = dependencyOrder(nodes, producer, values, outputs);

  const builder = new Builder(names);
  for (const n of order) {
    const node = nodes[n];
    const domain = domainOf(node.domain);
    const op = table.get(`${domain}:${node.opType}`);
    if (!op)
      throw new PipelineError(
        `operator '${node.opType}' (domain '${domain}') is not supported; supported: ${supportedList(ops)}`,
        where(node, n),
      );
    if (!opsets.has(domain))
      throw new PipelineError(`the model imports no opset for domain '${domain}'`, where(node, n));
    op.convert(new NodeContext(builder, values, node, where(node, n), opsets, op.attributes, n));
    for (const out of node.output ?? []) {
      if (out && !values.has(out))
        throw new PipelineError(`output '${out}' was left undefined`, where(node, n));
    }
  }

  const renamed = new Map<string, string>();
  for (const [i, name] of outputs.entries()) {
    const v = values.get(name);
    if (!v) throw new PipelineError(`output '${name}' is not defined by any node`, `outputs[${i}]`);
    if (v.tag === 'const') throw new PipelineError(`output '${name}' is a constant`, `outputs[${i}]`);
    if (v.tag === 'argmax') {
      // An index leaving the pipeline: the label of a classifier whose labels are 0 … k − 1.
      const labels = Array.from({ length: v.columns }, (_, k) => k);
      builder.emit(
        `${name}/argmax`,
        { kind: 'classifier', labels, binary: 'none' },
        [v.scores],
        [name, builder.fresh(`${name}_scores`)],
      );
      continue;
    }
    if (v.ir === name) continue;
    // The output is another value under a new name (Identity, Reshape, ZipMap …): rename that value
    // where it is made, or copy its columns when it is an input or already leaves under another name.
    const taken = inputs.some((i) => i.name === v.ir) || outputs.includes(v.ir) || renamed.has(v.ir);
    if (taken) {
      const source = renamed.get(v.ir) ?? v.ir;
      builder.emit(
        `${name}/copy`,
        { kind: 'select', indices: [...Array(columnsOf(v.dims)).keys()] },
        [source],
        [name],
      );
    } else {
      builder.rename(v.ir, name);
      renamed.set(v.ir, name);
    }
  }
  return { source: 'onnx', inputs, outputs, nodes: builder.nodes };
}

function where(node: NodeProto, n: number): string {
  return `nodes[${n}] (${node.opType}${node.name ? ` '${node.name}'` : ''})`;
}

/** The nodes the outputs depend on, producers before consumers; refuses cycles and dangling inputs. */
function dependencyOrder(
  nodes: NodeProto[],
  producer: Map<string, number>,
  values: Map<string, Value>,
  outputs: string[],
): number[] {
  const state = new Uint8Array(nodes.length); // 0 unseen, 1 on the current path, 2 done
  const order: number[] = [];
  // Iterative depth-first search from each output: a node is placed after all its producers.
  for (const out of outputs) {
    const root = producer.get(out);
    if (root === undefined) continue;
    const stack: [number, number][] = [[root, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [n, next] = top;
      const node = nodes[n];
      const ins = node.input ?? [];
      if (next === 0) {
        if (state[n] === 2) {
          stack.pop();
          continue;
        }
        state[n] = 1;
      }
      if (next < ins.length) {
        top[1]++;
        const name = ins[next];
        if (!name || values.has(name)) continue;
        const p = producer.get(name);
        if (p === undefined)
          throw new PipelineError(
            `reads '${name}', which no graph input, initializer or node defines`,
            where(node, n),
          );
        if (state[p] === 1) throw new PipelineError(`is part of a cycle through '${name}'`, where(node, n));
        if (state[p] === 0) stack.push([p, 0]);
        continue;
      }
      state[n] = 2;
      order.push(n);
      stack.pop();
    }
  }
  return order;
}

/** A graph input's element kind and its dimensions after the row dimension. */
function readInputType(
  vi: ValueInfoProto,
  what: string,
): { kind: 'float' | 'int' | 'string'; dims: number[] } {
  const tensor = vi.type?.tensorType;
  if (!tensor) throw new PipelineError('must be a tensor (sequences and maps are not supported)', what);
  const kind = kindOfDataType(tensor.elemType ?? 0);
  if (!kind) throw new PipelineError(`has element type ${dataTypeName(tensor.elemType ?? 0)}`, what);
  const shape = tensor.shape?.dim;
  if (!shape) throw new PipelineError('has no shape; give it [rows, columns]', what);
  if (shape.length !== 1 && shape.length !== 2)
    throw new PipelineError(`has rank ${shape.length}; inputs are [rows] or [rows, columns]`, what);
  const dims = shape.slice(1).map((d) => {
    // dimValue and dimParam are a protobuf oneof: only the one present is an own property.
    if (!Object.hasOwn(d, 'dimValue'))
      throw new PipelineError(`must have a fixed number of columns, got '${d.dimParam ?? '?'}'`, what);
    const n = toInt(d.dimValue, `${what} columns`);
    if (n < 1) throw new PipelineError(`must have at least one column, got ${n}`, what);
    return n;
  });
  return { kind, dims };
}
