import { pipeline_traverse } from '@tessera/kernels';
import * as T from '@tessera/tensor';
import { PipelineError } from '../../errors.js';
import type { CanonicalTree } from './canonical.js';

/** A leaf's first word in the packed node array. */
const LEAF = 0xffffffff;

/** Features a node can address: the low 28 bits of its first word. */
const MAX_FEATURES = 1 << 28;

/**
 * Every node of every tree as four u32 words (see kernels/pipeline/traverse.wgsl): feature | op <<
 * 28 | missing << 30 (LEAF at leaves), the threshold's float32 bits, the true and false children's
 * indices over all trees. Returns the words and each tree's root index.
 */
export function packNodes(trees: CanonicalTree[]): { nodes: Uint32Array; roots: Uint32Array } {
  const total = trees.reduce((s, t) => s + t.feature.length, 0);
  const nodes = new Uint32Array(total * 4);
  const roots = new Uint32Array(trees.length);
  const bits = new Uint32Array(new Float32Array(trees.flatMap((t) => [...t.tau])).buffer);
  let o = 0;
  trees.forEach((t, k) => {
    roots[k] = o;
    for (let v = 0; v < t.feature.length; v++) {
      const at = (o + v) * 4;
      const f = t.feature[v];
      if (f >= MAX_FEATURES)
        throw new PipelineError(`feature index ${f} exceeds ${MAX_FEATURES - 1}`, 'trees');
      nodes[at] = f < 0 ? LEAF : (f | (t.op[v] << 28) | (t.missingTrue[v] << 30)) >>> 0;
      nodes[at + 1] = bits[o + v];
      nodes[at + 2] = f < 0 ? o + v : o + t.trueChild[v];
      nodes[at + 3] = f < 0 ? o + v : o + t.falseChild[v];
    }
    o += t.feature.length;
  });
  return { nodes, roots };
}

/** How traverse.wgsl combines the trees' leaf values: 0 sum, 1 min, 2 max. */
export type Combine = 'sum' | 'min' | 'max';
const COMBINE: Record<Combine, number> = { sum: 0, min: 1, max: 2 };

/** Parameters of {@link traverseOp}. */
export interface TraverseParams {
  depth: number;
  combine: Combine;
}

/** The CPU reference of traverse.wgsl: the same walks over the same packed words, the same order of combination. */
function traverseCpu(
  x: Float32Array,
  xOffset: number,
  [rows, features]: readonly number[],
  nodes: Uint32Array,
  roots: Uint32Array,
  values: Float32Array,
  outputs: number,
  { depth, combine }: TraverseParams,
): Float32Array {
  const tau = new Float32Array(nodes.buffer, nodes.byteOffset, nodes.length);
  const mode = COMBINE[combine];
  const out = new Float32Array(rows * outputs).fill(mode === 0 ? 0 : mode === 1 ? Infinity : -Infinity);
  const f = Math.fround;
  // Plain loops over the packed words: this is the hot path of scoring on the CPU.
  for (let row = 0; row < rows; row++) {
    const base = xOffset + row * features;
    const o0 = row * outputs;
    for (let t = 0; t < roots.length; t++) {
      let at = roots[t] * 4;
      for (let d = 0; d < depth; d++) {
        const w = nodes[at];
        if (w === LEAF) break;
        const xv = x[base + (w & 0x0fffffff)];
        const th = tau[at + 1];
        const op = (w >>> 28) & 3;
        // A NaN feature takes the missing-value branch (x !== x: a faster isNaN on the hot path).
        // biome-ignore lint/suspicious/noSelfCompare: the NaN test
        const go = xv !== xv ? w >>> 30 !== 0 : op === 1 ? xv <= th : op === 0 ? xv < th : xv === th;
        at = (go ? nodes[at + 2] : nodes[at + 3]) * 4;
      }
      const leaf = (at / 4) * outputs;
      for (let o = 0; o < outputs; o++) {
        const b = values[leaf + o];
        out[o0 + o] =
          mode === 0 ? f(out[o0 + o] + b) : mode === 1 ? Math.min(out[o0 + o], b) : Math.max(out[o0 + o], b);
      }
    }
  }
  return out;
}

const traverseKernel = T.specialize(({ wg }: { wg: number }) => {
  const params = T.paramBlock({
    rows: 'u32',
    features: 'u32',
    x_offset: 'u32',
    depth: 'u32',
    outputs: 'u32',
    tree_begin: 'u32',
    tree_end: 'u32',
    combine: 'u32',
    first: 'u32',
  });
  return { code: T.fill(pipeline_traverse, { PARAMS: params.wgsl(5), WG: wg }), params };
});

/**
 * Every tree's leaf for each row, combined over the trees into [rows, outputs] (sum, min or max of
 * the leaves' `values` [N, outputs]), walking the packed nodes (`nodes` [N, 4] u32, `roots` [trees]
 * u32) at most `depth` steps per tree: Hummingbird's TreeTraversal fused into one kernel, where it
 * issues a few gathers per level and then gathers and reduces the leaf values.
 */
export const traverseOp = T.defineOp<TraverseParams>({
  name: 'pipeline/traverse',
  infer: ([x, nodes, roots, values]) => {
    if (x.dtype !== 'f32' || x.rank !== 2)
      throw new PipelineError(
        `x must be f32 [rows, features], got ${x.dtype} [${x.shape}]`,
        'pipeline/traverse',
      );
    if (nodes.dtype !== 'u32' || roots.dtype !== 'u32' || values.dtype !== 'f32')
      throw new PipelineError('nodes and roots must be u32, values f32', 'pipeline/traverse');
    return { shape: [x.shape[0], values.shape[1]], dtype: 'f32' };
  },
  grad: {
    nondifferentiable: 'hard trees are piecewise constant; the soft trees of toTrainable carry gradients',
  },
  kernels: {
    cpu: (_out, [x, nodes, roots, values], p) =>
      traverseCpu(
        x.handle as Float32Array,
        x.offset,
        x.shape,
        (nodes.handle as Uint32Array).subarray(nodes.offset),
        (roots.handle as Uint32Array).subarray(roots.offset, roots.offset + roots.shape[0]),
        (values.handle as Float32Array).subarray(values.offset),
        values.shape[1],
        p,
      ),
    webgpu(gpu, out, [x, nodes, roots, values], { depth, combine }) {
      const [rows, features] = x.shape;
      const [trees, outputs] = [roots.shape[0], values.shape[1]];
      // An invocation walks `depth` steps and combines `outputs` values per tree.
      const step = gpu.stepsPerDispatch('pipeline/traverse', depth + outputs + 2, outputs + 4);
      const buf = gpu.alloc(out);
      for (const [t0, t1] of T.chunks(trees, step)) {
        gpu.dispatch({
          kernel: traverseKernel({ wg: gpu.wg }),
          label: 'pipeline/traverse',
          buffers: [x.handle, nodes.handle, roots.handle, values.handle, buf],
          params: {
            rows,
            features,
            x_offset: x.offset,
            depth,
            outputs,
            tree_begin: t0,
            tree_end: t1,
            combine: COMBINE[combine],
            first: t0 === 0 ? 1 : 0,
          },
          workgroups: Math.ceil(rows / gpu.wg),
        });
      }
      return buf;
    },
  },
});
