import { paramBlock, specialize } from '@tessera/gpu';
import { tensor_attention, tensor_math } from '@tessera/kernels';
import type { AttentionGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';
import { fill } from './codegen.js';
import { chunks, type Gpu } from './gpu.js';

type H = GPUBuffer;

/** Key rows per staged tile: as many as fit the workgroup memory, at most 32. */
export function attentionKeyTile(d: number, dv: number, storageBytes: number): number {
  return Math.max(1, Math.min(32, Math.floor(storageBytes / ((d + dv) * 4))));
}

/** Loop iterations attention.wgsl runs per key tile: staging K and V, then per key the score and the weighted sum. */
const attentionLoopsPerTile = (d: number, dv: number, bq: number, bk: number): number =>
  Math.ceil((bk * d) / bq) + Math.ceil((bk * dv) / bq) + 1 + bk * (1 + d + dv);

/** What selects an attention kernel: head sizes, tiles, and which optional inputs it binds. */
interface AttentionOptions {
  D: number;
  Dv: number;
  bq: number;
  bk: number;
  mask: boolean;
  segments: boolean;
}

const attentionKernel = specialize((o: AttentionOptions) => {
  const strides = ['u32', 4] as const;
  const optional = (name: string, on: boolean) =>
    on ? { [`${name}_strides`]: ['u32', 2] as const, [`${name}_offset`]: 'u32' as const } : {};
  const params = paramBlock({
    batch: 'u32',
    heads: 'u32',
    sq: 'u32',
    sk: 'u32',
    groups: 'u32',
    scale: 'f32',
    causal: 'u32',
    window: 'u32',
    q_start: 'u32',
    blocks: 'u32',
    q_strides: strides,
    q_offset: 'u32',
    k_strides: strides,
    k_offset: 'u32',
    v_strides: strides,
    v_offset: 'u32',
    ...optional('mask', o.mask),
    ...optional('seg', o.segments),
    k_lo: 'u32',
    k_hi: 'u32',
    phase: 'u32',
    tail: 'u32',
  });
  // Bindings: q, k, v, then the optional mask and segments in that order, then the output.
  const segBinding = o.mask ? 4 : 3;
  const outBinding = segBinding + (o.segments ? 1 : 0);
  const code = fill(tensor_attention, {
    D: o.D,
    DV: o.Dv,
    BQ: o.bq,
    BK: o.bk,
    OUT: outBinding,
    MASK: o.mask
      ? '@group(0) @binding(3) var<storage, read> PAD: array<u32>;\nfn hidden(b: u32, j: u32) -> bool { return PAD[params.mask_offset + b * params_mask_strides(0u) + j * params_mask_strides(1u)] != 0u; }'
      : 'fn hidden(b: u32, j: u32) -> bool { return false; }',
    SEGMENTS: o.segments
      ? `@group(0) @binding(${segBinding}) var<storage, read> SEG: array<i32>;\nfn doc(b: u32, j: u32) -> i32 { return SEG[params.seg_offset + b * params_seg_strides(0u) + j * params_seg_strides(1u)]; }`
      : 'fn doc(b: u32, j: u32) -> i32 { return 0; }',
    PARAMS: params.wgsl(outBinding + 1),
    MATH: tensor_math,
  });
  return { code, params };
});

export function attentionGpu(g: Gpu): { [K in AttentionGroup]: KernelFn<H, K> } {
  return {
    attention: (out, [q, k, v, ...extra], { scale, causal, window, qOffset, padded, segmented }) => {
      const mask = padded ? extra[0] : undefined;
      const seg = segmented ? extra[padded ? 1 : 0] : undefined;
      const [B, Hq, Sq, D] = q.shape;
      const [, Hkv, Sk] = k.shape;
      const Dv = v.shape[3];
      const bq = Math.min(64, g.wg);
      const bk = attentionKeyTile(D, Dv, g.ctx.limits.maxComputeWorkgroupStorageSize);
      const blocks = Math.ceil(Sq / bq);
      const label = 'tensor/attention';
      const keyStep = bk * g.stepsPerDispatch(label, attentionLoopsPerTile(D, Dv, bq, bk), D + 2 * Dv + 4);
      const keyRanges = chunks(Sk, keyStep);
      const outputs = B * Hq * Sq * Dv;
      const kernel = attentionKernel({
        D,
        Dv,
        bq,
        bk,
        mask: mask !== undefined,
        segments: seg !== undefined,
      });
      const head = {
        batch: B,
        heads: Hq,
        sq: Sq,
        sk: Sk,
        groups: Hq / Hkv,
        scale,
        causal: causal ? 1 : 0,
        window,
        q_start: qOffset,
        blocks,
        q_strides: q.strides,
        q_offset: q.offset,
        k_strides: k.strides,
        k_offset: k.offset,
        v_strides: v.strides,
        v_offset: v.offset,
        ...(mask ? { mask_strides: mask.strides, mask_offset: mask.offset } : {}),
        ...(seg ? { seg_strides: seg.strides, seg_offset: seg.offset } : {}),
      };
      // Split keys carry each row's (max, normaliser) in a tail after the outputs.
      const buf = keyRanges.length > 1 ? g.ctx.createBuffer(4 * (outputs + 2 * B * Hq * Sq)) : g.alloc(out);
      keyRanges.forEach(([k0, k1], n) => {
        g.dispatch({
          kernel,
          label,
          buffers: [q.handle, k.handle, v.handle, ...extra.map((t) => t.handle), buf],
          params: {
            ...head,
            k_lo: k0,
            k_hi: k1,
            phase: (n === 0 ? 1 : 0) | (n === keyRanges.length - 1 ? 2 : 0),
            tail: outputs,
          },
          workgroups: B * Hq * blocks,
        });
      });
      return buf;
    },
  };
}
