import { isGradEnabled } from './autograd.js';
import type { Backend } from './backend.js';
import { storageOf } from './dtype.js';
import { BackendError } from './errors.js';
import { fusedStorage, fusionEnabled, prologueOf } from './fusion/fuse.js';
import { composer } from './fusion/views.js';
import { type Exp, ex } from './ir/exp.js';
import { REDUCE_GROUP } from './opgroups.js';
import type { KernelOp, OpName, OpParams, OutSpec, PrologueOp, View } from './opset.js';
import { RULES } from './rules/index.js';
import type { ParamFn } from './rules/types.js';
import { getBackend } from './runtime.js';
import { contiguousStrides } from './shape.js';
import { type Source, Storage } from './storage.js';
import { Tensor } from './tensor.js';

const PROLOGUE_OPS: ReadonlySet<string> = new Set<PrologueOp>(REDUCE_GROUP);

/**
 * @internal The strided window a kernel reads of a tensor, typed as its storage: kernels compute
 * f16 values in f32 (PyTorch's "opmath") and bools as u8.
 */
export const viewOf = (t: Tensor): View => ({
  handle: t.storage.handle,
  shape: t.shape,
  strides: t.strides,
  offset: t.offset,
  dtype: storageOf(t.dtype),
});

/**
 * An op's element expression, computed as PyTorch computes reduced types: f16 and bool operands
 * are read as f32 and u8, the rule's expression runs on those, and the result is cast back (f16
 * rounds to half once per op, bool is 0 or 1).
 */
function opmath(
  op: string,
  rule: { exp(x: readonly Exp[], params: never, param: ParamFn): Exp },
  params: unknown,
  out: OutSpec,
) {
  return (x: readonly Exp[], param: ParamFn): Exp => {
    const wide = x.map((e) => ex.cast(e, storageOf(e.dtype)));
    const e = rule.exp(wide, params as never, param);
    if (e.dtype !== out.dtype && e.dtype !== storageOf(out.dtype))
      throw new Error(`internal: '${op}' gives ${e.dtype}, its rule says ${out.dtype}`);
    return ex.cast(e, out.dtype);
  };
}

/**
 * What a built-in kernel reads of `t` (they all take strided views), computed now: a pending copy
 * is not made, its source is read through the composed window instead, when one exists.
 */
function kernelSourceOf(t: Tensor): Source & { shape: readonly number[] } {
  const r = t.storage.pending;
  const src = r && r.exp.op === 'input' ? r.sources[r.exp.arg] : undefined;
  const w = src && composer(r!.out.shape, t.shape, t)?.compose(src);
  const read = src && w ? { storage: src.storage, ...w } : t;
  read.storage.realize();
  const { storage, strides, offset } = read;
  return { storage, shape: t.shape, strides, offset, dtype: storageOf(t.dtype) };
}

const kernelViewOf = (t: Tensor): View => {
  const s = kernelSourceOf(t);
  return { handle: s.storage.handle, shape: s.shape, strides: s.strides, offset: s.offset, dtype: s.dtype };
};

/** @internal Checks the inputs are alive and on one backend, and returns it. */
export function backendOf(op: string, inputs: readonly Tensor[], backend?: Backend): Backend {
  for (const [i, t] of inputs.entries()) t.assertAlive(`${op} (input ${i})`);
  const b = backend ?? inputs[0]?.backend ?? getBackend();
  for (const [i, t] of inputs.entries()) {
    if (t.backend !== b) {
      throw new BackendError(
        `${op}: all inputs must be on one backend, but input 0 is on ${b.name} and input ${i} is on ${t.backend.name} (move it with .to('${b.name}'))`,
      );
    }
  }
  return b;
}

/**
 * Runs one op: validates (nothing is allocated before validation passes), computes through the
 * backend's kernel or as a view, and records the graph node when gradients are on.
 */
export function apply<K extends OpName>(
  op: K,
  inputs: readonly Tensor[],
  params: OpParams[K],
  backend?: Backend,
): Tensor {
  const b = backendOf(op, inputs, backend);
  const rule = RULES[op];
  const spec = rule.infer(inputs, params as never);
  let out: Tensor;
  if ('view' in rule) {
    const v = rule.view(inputs[0], params as never);
    out = new Tensor(inputs[0].storage, spec.shape, v.strides, v.offset, spec.dtype);
  } else if ('exp' in rule) {
    const storage = fusedStorage(b, opmath(op, rule, params, spec), inputs, spec);
    out = new Tensor(storage, spec.shape, contiguousStrides(spec.shape), 0, spec.dtype);
  } else {
    const kernel = b.kernels[op as KernelOp] as (o: OutSpec, i: unknown[], p: unknown) => unknown;
    if (op === 'matmul' && b.epilogue && fusionEnabled() && spec.dtype === storageOf(spec.dtype)) {
      // Deferred: an elementwise op that reads all of the product may run as the kernel's epilogue.
      const call = {
        op: 'matmul' as const,
        out: spec,
        inputs: inputs.map(kernelSourceOf),
        params: params as OpParams['matmul'],
      };
      const storage = Storage.fromCall(b, call);
      out = new Tensor(storage, spec.shape, contiguousStrides(spec.shape), 0, spec.dtype);
      return record(op, inputs, params, rule, out);
    }
    // Reductions and row ops read a pending first input through its expression (a prologue).
    const prologue = PROLOGUE_OPS.has(op) ? prologueOf(b, inputs[0]) : undefined;
    const computed = { shape: spec.shape, dtype: storageOf(spec.dtype) };
    try {
      const views = inputs.map((t, i) => (i === 0 && prologue ? prologue.input : kernelViewOf(t)));
      const handle = kernel(computed, views, params);
      out = new Tensor(new Storage(b, handle), spec.shape, contiguousStrides(spec.shape), 0, computed.dtype);
    } finally {
      prologue?.done();
    }
    // A kernel computes f16 in f32: its result rounds to half (a pending cast, fused into its readers).
    if (spec.dtype !== computed.dtype) out = relabel(b, out, spec.dtype);
  }
  return record(op, inputs, params, rule, out);
}

/** Records the graph node of `out` when gradients are on, and returns it. */
function record<K extends OpName>(
  op: K,
  inputs: readonly Tensor[],
  params: OpParams[K],
  rule: { grad?: unknown },
  out: Tensor,
): Tensor {
  if (isGradEnabled() && typeof rule.grad === 'function' && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs: [...inputs], params };
  }
  return out;
}

/**
 * A kernel's result (of the storage dtype) as a tensor of `dtype`: the cast to it, pending, so it
 * runs inside the kernels that read it (f16 values round to half; a bool kernel result is 0 or 1
 * already, and is read as it is).
 */
function relabel(b: Backend, t: Tensor, dtype: OutSpec['dtype']): Tensor {
  const storage =
    dtype === 'bool'
      ? t.storage
      : fusedStorage(b, ([x]) => ex.cast(x, dtype), [t], { shape: t.shape, dtype });
  const out = new Tensor(storage, t.shape, t.strides, 0, dtype);
  t.dispose();
  return out;
}
