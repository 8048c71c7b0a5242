/** Consistency checks of quantized tensors handed back to the package (dequantizers, uploads, writers). */
import type { DoubleQuantized, Quantized4, Quantized8 } from './blockwise.js';
import { checkBlock, checkLength, checkOneOf, fail, shapeSize, show } from './checks.js';
import { FOUR_BIT_TYPES } from './codebooks.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A {@link Quantized8} of `n` codes (any n when omitted); returns n. */
export function checkQuantized8(what: string, q: Quantized8, name = 'q', n?: number): number {
  if (!isObject(q)) fail(`${what}: ${name} must be a quantized 8-bit tensor, got ${show(q)}`);
  checkOneOf(what, `${name}.code`, q.code, ['linear', 'dynamic'] as const);
  const blockSize = checkBlock(what, q.blockSize, `${name}.blockSize`);
  if (!(q.codes instanceof Uint8Array))
    fail(`${what}: ${name}.codes must be a Uint8Array, got ${show(q.codes)}`);
  const count = n ?? q.codes.length;
  checkLength(what, `${name}.codes`, q.codes, count, Uint8Array);
  checkLength(what, `${name}.absmax`, q.absmax, Math.ceil(count / blockSize), Float32Array);
  if (q.map !== undefined) {
    if (q.code !== 'dynamic') fail(`${what}: ${name}.map is for the dynamic code, got code ${show(q.code)}`);
    checkLength(what, `${name}.map`, q.map, 256, Float32Array);
  }
  return count;
}

/** Double-quantized absmax of `blocks` blocks. */
export function checkNested(what: string, d: DoubleQuantized, blocks: number, name = 'nested'): void {
  if (!isObject(d)) fail(`${what}: ${name} must be double-quantized absmax, got ${show(d)}`);
  if (typeof d.offset !== 'number' || !Number.isFinite(d.offset))
    fail(`${what}: ${name}.offset must be a finite number, got ${show(d.offset)}`);
  checkQuantized8(what, d.inner, `${name}.inner`, blocks);
}

/** A {@link Quantized4}: its parts agree with its type, block size and shape. Returns its element count. */
export function checkQuantized4(what: string, q: Quantized4, name = 'q'): number {
  if (!isObject(q)) fail(`${what}: ${name} must be a quantized 4-bit tensor, got ${show(q)}`);
  checkOneOf(what, `${name}.type`, q.type, FOUR_BIT_TYPES);
  const blockSize = checkBlock(what, q.blockSize, `${name}.blockSize`);
  const n = shapeSize(what, q.shape, `${name}.shape`);
  const blocks = Math.ceil(n / blockSize);
  checkLength(what, `${name}.packed`, q.packed, Math.ceil(n / 2), Uint8Array);
  const hasAbsmax = q.absmax !== undefined && q.absmax !== null;
  const hasNested = q.nested !== undefined && q.nested !== null;
  if (hasAbsmax && hasNested) fail(`${what}: ${name} has both absmax and nested (double-quantized) absmax`);
  if (hasNested) checkNested(what, q.nested!, blocks, `${name}.nested`);
  else if (hasAbsmax) checkLength(what, `${name}.absmax`, q.absmax, blocks, Float32Array);
  else fail(`${what}: ${name} has neither absmax nor nested absmax`);
  return n;
}
