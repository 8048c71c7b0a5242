/** Exact float32 helpers: bit patterns, neighbours and a fused multiply-add rounded once. */
import { f32Bits } from '@tessera/tensor';

const f32 = Math.fround;
const view = new DataView(new ArrayBuffer(4));

/** The f32 with these bits. */
export function fromF32Bits(bits: number): number {
  view.setUint32(0, bits >>> 0, true);
  return view.getFloat32(0, true);
}

/** The next f32 above (`dir` 1) or below (`dir` −1) the finite f32 `x`. */
export function nextF32(x: number, dir: 1 | -1): number {
  if (x === 0) return dir * 2 ** -149;
  const bits = f32Bits(x);
  return fromF32Bits(x > 0 === dir > 0 ? bits + 1 : bits - 1);
}

/**
 * f32(a·b + c) rounded once, as a compiled fused multiply-add computes it, for f32 a, b, c (a·b is
 * then exact in a double). The double sum s = a·b + c can only round wrongly to f32 when s lies
 * exactly halfway between two f32s; its rounding error e (Knuth's two-sum) then picks the side.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bp = s - c;
  const e = p - bp + (c - (s - bp));
  const r = f32(s);
  if (e === 0 || r === s) return r;
  const other = nextF32(r, s > r ? 1 : -1);
  if (s - r !== other - s) return r;
  return e > 0 === other > r ? other : r;
}

/**
 * An unsigned key that orders f32 bit patterns as their values (−0 as +0), so that WGSL can compare
 * floats as integers: no flushing of subnormals, no NaN rules.
 */
export function orderKey(bits: number): number {
  if (bits === 0x80000000) return 0x80000000;
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}
