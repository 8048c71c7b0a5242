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

/** The CPU reference of traverse.wgsl: the same walk over the same packed words. */
function traverseCpu(
  x: Float32Array,
  xOffset: number,
  rows: number,
  features: number,
  nodes: Uint32Array,
  roots: Uint32Array,
  depth: number,
): Uint32Array {
  const tau = new Float32Array(nodes.buffer, nodes.byteOffset, nodes.length);
  const trees = roots.length;
  const out = new Uint32Array(rows * trees);
  for (let row = 0; row < rows; row++) {
    const base = xOffset + row * features;
    for (let t = 0; t < trees; t++) {
      let v = roots[t];
      for (let d = 0; d < depth; d++) {
        const w = nodes[v * 4];
        if (w === LEAF) break;
        const xv = x[base + (w & 0x0fffffff)];
        const op = (w >>> 28) & 3;
        const th = tau[v * 4 + 1];
        const go = Number.isNaN(xv) ? w >>> 30 !== 0 : op === 0 ? xv < th : op === 1 ? xv <= th : xv === th;
        v = go ? nodes[v * 4 + 2] : nodes[v * 4 + 3];
      }
      out[row * trees + t] = v;
    }
  }
  return out;
}

/**
 * The leaf each row reaches in each tree ([rows, trees] u32 node indices), walking the packed nodes
 * (`nodes` [N, 4] u32, `roots` [trees] u32) at most `depth` steps: the fused form of Hummingbird's
 * TreeTraversal, one kernel instead of a few gathers per level.
 */
export const traverseOp = T.defineOp<{ depth: number }>({
  name: 'pipeline/traverse',
  infer: ([x, nodes, roots]) => {
    if (x.dtype !== 'f32' || x.rank !== 2)
      throw new PipelineError(
        `x must be f32 [rows, features], got ${x.dtype} [${x.shape}]`,
        'pipeline/traverse',
      );
    if (nodes.dtype !== 'u32' || roots.dtype !== 'u32')
      throw new PipelineError('nodes and roots must be u32', 'pipeline/traverse');
    return { shape: [x.shape[0], roots.shape[0]], dtype: 'u32' };
  },
  grad: { nondifferentiable: 'node indices are integers; the soft trees of toTrainable carry gradients' },
  kernels: {
    cpu: (_out, [x, nodes, roots], { depth }) =>
      traverseCpu(
        x.handle as Float32Array,
        x.offset,
        x.shape[0],
        x.shape[1],
        (nodes.handle as Uint32Array).subarray(nodes.offset),
        (roots.handle as Uint32Array).subarray(roots.offset, roots.offset + roots.shape[0]),
        depth,
      ),
    webgpu(gpu, out, [x, nodes, roots], { depth }) {
      const [rows, features] = x.shape;
      const trees = roots.shape[0];
      const words = [rows, trees, features, x.offset, depth];
      const buf = gpu.alloc(out);
      gpu.launch({
        key: 'pipeline/traverse',
        label: 'pipeline/traverse',
        source: () => T.fill(pipeline_traverse, { PARAMS: gpu.params(4, words), WG: gpu.wg }),
        buffers: [x.handle, nodes.handle, roots.handle, buf],
        words,
        workgroups: Math.ceil((rows * trees) / gpu.wg),
      });
      return buf;
    },
  },
});
