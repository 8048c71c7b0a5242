import { tensor_attention, tensor_math } from '@tessera/kernels';
import type { AttentionGroup } from '../opgroups.js';
import type { KernelFn, View } from '../opset.js';
import { f32Bits, fill } from './codegen.js';
import { chunks, type Gpu } from './gpu.js';

type H = GPUBuffer;

/** Key rows per staged tile: as many as fit the workgroup memory, at most 32. */
export function attentionKeyTile(d: number, dv: number, storageBytes: number): number {
  return Math.max(1, Math.min(32, Math.floor(storageBytes / ((d + dv) * 4))));
}

/** Loop iterations attention.wgsl runs per key tile: staging K and V, then per key the score and the weighted sum. */
const attentionLoopsPerTile = (d: number, dv: number, bq: number, bk: number): number =>
  Math.ceil((bk * d) / bq) + Math.ceil((bk * dv) / bq) + 1 + bk * (1 + d + dv);

const viewWords = (t: View<H>) => [...t.strides, t.offset];

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
      const head = [
        B,
        Hq,
        Sq,
        Sk,
        Hq / Hkv,
        f32Bits(scale),
        causal ? 1 : 0,
        window,
        qOffset,
        blocks,
        ...viewWords(q),
        ...viewWords(k),
        ...viewWords(v),
        ...(mask ? viewWords(mask) : [0, 0, 0]),
        ...(seg ? viewWords(seg) : [0, 0, 0]),
      ];
      // Split keys carry each row's (max, normaliser) in a tail after the outputs.
      const buf = keyRanges.length > 1 ? g.ctx.createBuffer(4 * (outputs + 2 * B * Hq * Sq)) : g.alloc(out);
      // Bindings: q, k, v, then the optional mask and segments in that order, then the output.
      const segBinding = mask ? 4 : 3;
      const outBinding = segBinding + (seg ? 1 : 0);
      keyRanges.forEach(([k0, k1], n) => {
        const phase = (n === 0 ? 1 : 0) | (n === keyRanges.length - 1 ? 2 : 0);
        const words = [...head, k0, k1, phase, outputs];
        g.launch({
          key: `attention:d${D}:dv${Dv}:bq${bq}:bk${bk}:${mask ? 'mask' : 'nomask'}:${seg ? 'seg' : 'noseg'}`,
          label,
          source: () =>
            fill(tensor_attention, {
              D,
              DV: Dv,
              BQ: bq,
              BK: bk,
              OUT: outBinding,
              MASK: mask
                ? '@group(0) @binding(3) var<storage, read> PAD: array<u32>;\nfn hidden(b: u32, j: u32) -> bool { return PAD[m(27u) + b * m(25u) + j * m(26u)] != 0u; }'
                : 'fn hidden(b: u32, j: u32) -> bool { return false; }',
              SEGMENTS: seg
                ? `@group(0) @binding(${segBinding}) var<storage, read> SEG: array<i32>;\nfn doc(b: u32, j: u32) -> i32 { return SEG[m(30u) + b * m(28u) + j * m(29u)]; }`
                : 'fn doc(b: u32, j: u32) -> i32 { return 0; }',
              PARAMS: g.params(outBinding + 1, words),
              MATH: tensor_math,
            }),
          buffers: [q.handle, k.handle, v.handle, ...extra.map((t) => t.handle), buf],
          words,
          workgroups: B * Hq * blocks,
        });
      });
      return buf;
    },
  };
}
