import { floatToHalf, halfToFloat } from '@tessera/nn';
import { checkOneOf, checkValues, fail, finiteF32, show } from './checks.js';

/** llama.cpp's block formats: 32 elements, an fp16 scale, then the codes. */
export type GgmlType = 'q4_0' | 'q8_0';

/** Bytes of one 32-element block: q4_0 = 2 + 16, q8_0 = 2 + 32. */
export const GGML_BLOCK_BYTES: Record<GgmlType, number> = { q4_0: 18, q8_0: 34 };
const GGML_TYPES: readonly GgmlType[] = ['q4_0', 'q8_0'];
const QK = 32;

/**
 * Quantizes to llama.cpp blocks, byte-identical to ggml's reference quantizers: q4_0 scales by the
 * signed value of largest magnitude / −8 and packs element j in the low nibble, j + 16 in the high
 * one; q8_0 scales by absmax / 127 and rounds half away from zero. Length must be a multiple of 32.
 */
export function quantizeGgml(values: ArrayLike<number>, type: GgmlType): Uint8Array {
  checkOneOf('quantizeGgml', 'type', type, GGML_TYPES);
  const x = finiteF32('quantizeGgml', checkValues('quantizeGgml', 'x', values));
  if (x.length % QK !== 0) fail(`quantizeGgml: ${type} needs a multiple of ${QK} elements, got ${x.length}`);
  const out = new Uint8Array((x.length / QK) * GGML_BLOCK_BYTES[type]);
  const view = new DataView(out.buffer);
  for (let b = 0; b < x.length / QK; b++) {
    const base = b * QK;
    const at = b * GGML_BLOCK_BYTES[type];
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = x[base + j];
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    }
    if (type === 'q4_0') {
      const d = Math.fround(max / -8);
      const id = d ? Math.fround(1 / d) : 0;
      view.setUint16(at, floatToHalf(d), true);
      for (let j = 0; j < QK / 2; j++) {
        const lo = Math.min(15, Math.trunc(Math.fround(Math.fround(x[base + j] * id) + 8.5)));
        const hi = Math.min(15, Math.trunc(Math.fround(Math.fround(x[base + j + 16] * id) + 8.5)));
        out[at + 2 + j] = lo | (hi << 4);
      }
    } else {
      const d = Math.fround(amax / 127);
      const id = d ? Math.fround(1 / d) : 0;
      view.setUint16(at, floatToHalf(d), true);
      for (let j = 0; j < QK; j++) {
        const v = Math.fround(x[base + j] * id);
        view.setInt8(at + 2 + j, Math.sign(v) * Math.round(Math.abs(v)));
      }
    }
  }
  return out;
}

/** Back to f32 from llama.cpp blocks. */
export function dequantizeGgml(bytes: Uint8Array, type: GgmlType): Float32Array {
  const size = GGML_BLOCK_BYTES[checkOneOf('dequantizeGgml', 'type', type, GGML_TYPES)];
  if (!(bytes instanceof Uint8Array)) fail(`dequantizeGgml: bytes must be a Uint8Array, got ${show(bytes)}`);
  if (bytes.byteLength % size !== 0)
    fail(`dequantizeGgml: ${bytes.byteLength} bytes is not a whole number of ${type} blocks of ${size}`);
  const blocks = bytes.byteLength / size;
  const out = new Float32Array(blocks * QK);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < blocks; b++) {
    const d = halfToFloat(view.getUint16(b * size, true));
    for (let j = 0; j < (type === 'q4_0' ? QK / 2 : QK); j++) {
      if (type === 'q4_0') {
        const byte = bytes[b * size + 2 + j];
        out[b * QK + j] = Math.fround(((byte & 15) - 8) * d);
        out[b * QK + j + 16] = Math.fround(((byte >> 4) - 8) * d);
      } else {
        out[b * QK + j] = Math.fround(view.getInt8(b * size + 2 + j) * d);
      }
    }
  }
  return out;
}
