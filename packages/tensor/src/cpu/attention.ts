import type { TypedArray } from '../dtype.js';
import type { AttentionGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';

type H = TypedArray;

/** Whether query position `qp` may see key `j` under the causal / window rules. */
export const visible = (qp: number, j: number, causal: boolean, window: number): boolean =>
  (!causal || j <= qp) && (window <= 0 || j > qp - window);

export const attentionCpu: { [K in AttentionGroup]: KernelFn<H, K> } = {
  attention: (_out, [q, k, v, ...extra], { scale, causal, window, qOffset, padded, segmented }) => {
    const mask = padded ? extra[0] : undefined;
    const seg = segmented ? extra[padded ? 1 : 0] : undefined;
    const [B, H, Sq, D] = q.shape;
    const [, Hkv, Sk] = k.shape;
    const Dv = v.shape[3];
    const groups = H / Hkv;
    const o = new Float32Array(B * H * Sq * Dv);
    const s = new Float64Array(Sk);
    const at = (t: typeof q, b: number, h: number, i: number, d: number) =>
      t.handle[t.offset + b * t.strides[0] + h * t.strides[1] + i * t.strides[2] + d * t.strides[3]];
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const hk = Math.floor(h / groups);
        const doc = (j: number) =>
          seg ? seg.handle[seg.offset + b * seg.strides[0] + j * seg.strides[1]] : 0;
        for (let i = 0; i < Sq; i++) {
          const own = doc(qOffset + i);
          let mx = -Infinity;
          for (let j = 0; j < Sk; j++) {
            const hidden = mask && mask.handle[mask.offset + b * mask.strides[0] + j * mask.strides[1]] !== 0;
            if (hidden || doc(j) !== own || !visible(qOffset + i, j, causal, window)) {
              s[j] = -Infinity;
              continue;
            }
            let dot = 0;
            for (let d = 0; d < D; d++) dot += at(q, b, h, i, d) * at(k, b, hk, j, d);
            s[j] = dot * scale;
            mx = Math.max(mx, s[j]);
          }
          const row = ((b * H + h) * Sq + i) * Dv;
          if (mx === -Infinity) continue; // no visible key: zeros
          let total = 0;
          for (let j = 0; j < Sk; j++) {
            s[j] = s[j] === -Infinity ? 0 : Math.exp(s[j] - mx);
            total += s[j];
          }
          for (let j = 0; j < Sk; j++) {
            if (s[j] === 0) continue;
            const w = s[j] / total;
            for (let d = 0; d < Dv; d++) o[row + d] += w * at(v, b, hk, j, d);
          }
        }
      }
    }
    return o;
  },
};
