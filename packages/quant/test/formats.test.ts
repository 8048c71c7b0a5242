import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bitsPerParameter,
  DYNAMIC_CODE,
  dequantize4bit,
  dequantizeAbsmax,
  dequantizeBlockwise8,
  dequantizeGgml,
  doubleQuantize,
  FP4_CODE,
  GGML_BLOCK_BYTES,
  NF4_CODE,
  QuantError,
  quantize4bit,
  quantizeBlockwise8,
  quantizeGgml,
  unpack4,
  withDoubleQuant,
} from '../src/index.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/quant.json', import.meta.url), 'utf8')) as {
  torch: string;
  dynamic: number[];
  x: number[];
  blockSize: number;
  cases: Record<'nf4' | 'fp4', { codes: number[]; packed: number[]; absmax: number[] }>;
};

/** N(0, 1) samples from a seeded Box–Muller, in f32. */
function gaussian(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 1) / 4294967297;
  };
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

/** Mean squared error relative to the mean square of the data. */
function relMse(x: Float32Array, y: Float32Array): number {
  let e = 0;
  let p = 0;
  for (let i = 0; i < x.length; i++) {
    e += (x[i] - y[i]) ** 2;
    p += x[i] ** 2;
  }
  return e / p;
}

describe(`formats against PyTorch ${fixture.torch}`, () => {
  it('builds bitsandbytes’ dynamic 8-bit map (252 of 256 entries bit for bit, the rest within one ulp)', () => {
    expect(DYNAMIC_CODE.length).toBe(256);
    const want = fixture.dynamic.map(Math.fround);
    let exact = 0;
    for (let i = 0; i < 256; i++) {
      if (DYNAMIC_CODE[i] === want[i]) exact++;
      else expect(Math.abs(DYNAMIC_CODE[i] - want[i])).toBeLessThanOrEqual(Math.abs(want[i]) * 2 ** -23);
    }
    expect(exact).toBeGreaterThanOrEqual(252);
    expect([...DYNAMIC_CODE]).toEqual([...DYNAMIC_CODE].sort((a, b) => a - b));
  });

  it('quantizes NF4 and FP4 to the nearest code, packed high nibble first', () => {
    for (const type of ['nf4', 'fp4'] as const) {
      const q = quantize4bit(fixture.x, type, { blockSize: 64 });
      const want = fixture.cases[type];
      expect([...q.absmax!]).toEqual(want.absmax.map(Math.fround));
      expect([...unpack4(q.packed, fixture.x.length)]).toEqual(want.codes);
      expect([...q.packed]).toEqual(want.packed);
    }
  });
});

describe('code books and packing', () => {
  it('has the published NF4 and FP4 values', () => {
    expect(NF4_CODE[0]).toBe(-1);
    expect(NF4_CODE[7]).toBe(0);
    expect(NF4_CODE[15]).toBe(1);
    expect(FP4_CODE[3]).toBe(1);
    expect(FP4_CODE[11]).toBe(-1);
    expect(FP4_CODE[1]).toBe(Math.fround(0.0625 / 12));
  });

  it('puts element 2j in the high nibble and handles an odd length and a partial last block', () => {
    const q = quantize4bit([1, -1, 0], 'nf4', { blockSize: 64 });
    expect([...q.packed]).toEqual([(15 << 4) | 0, 7 << 4]);
    const x = gaussian(100);
    const r = quantize4bit(x, 'nf4', { blockSize: 64 });
    expect(r.absmax!.length).toBe(2);
    expect(r.absmax![1]).toBe(Math.max(...x.slice(64).map(Math.abs)));
    expect(dequantize4bit(r).length).toBe(100);
  });
});

describe('quantization error on N(0, 1) (REFERENCES.md figures)', () => {
  const x = gaussian(1 << 16);
  // Tolerance: half a unit in the last digit REFERENCES.md prints (0.0085 ± 0.00005, 0.00003 ± 0.000005).
  const cases: [string, () => Float32Array, number, number][] = [
    ['NF4/64', () => dequantize4bit(quantize4bit(x, 'nf4')), 0.0085, 0.00005],
    ['FP4/64', () => dequantize4bit(quantize4bit(x, 'fp4')), 0.0149, 0.00005],
    ['Int4/64', () => dequantize4bit(quantize4bit(x, 'int4')), 0.0116, 0.00005],
    ['q4_0/32', () => dequantizeGgml(quantizeGgml(x, 'q4_0'), 'q4_0'), 0.0074, 0.00005],
    ['q8_0/32', () => dequantizeGgml(quantizeGgml(x, 'q8_0'), 'q8_0'), 0.00003, 0.000005],
  ];
  it.each(cases)('%s relative MSE matches the reference figure', (_name, run, want, tol) => {
    expect(Math.abs(relMse(x, run()) - want)).toBeLessThanOrEqual(tol * 2);
  });
  it('orders NF4 < Int4 < FP4, and double quantization costs almost nothing', () => {
    const nf4 = relMse(x, dequantize4bit(quantize4bit(x, 'nf4')));
    const int4 = relMse(x, dequantize4bit(quantize4bit(x, 'int4')));
    const fp4 = relMse(x, dequantize4bit(quantize4bit(x, 'fp4')));
    expect(nf4).toBeLessThan(int4);
    expect(int4).toBeLessThan(fp4);
    const dq = relMse(x, dequantize4bit(withDoubleQuant(quantize4bit(x, 'nf4'))));
    expect(dq).toBeLessThan(nf4 * 1.01);
  });
});

describe('double quantization and 8-bit blocks', () => {
  it('reports 4.127 bits per parameter for NF4, block 64, double quantization (4.5 without)', () => {
    expect(bitsPerParameter(64, true)).toBeCloseTo(4.127, 3);
    expect(bitsPerParameter(64, false)).toBe(4.5);
  });
  it('round-trips absmax values through mean subtraction and the dynamic code', () => {
    const absmax = Float32Array.from(gaussian(1000, 3), (v) => 1 + Math.abs(v));
    const d = doubleQuantize(absmax);
    expect(d.inner.codes.length).toBe(1000);
    expect(d.inner.absmax.length).toBe(4); // blocks of 256
    const back = dequantizeAbsmax(d);
    for (let i = 0; i < absmax.length; i++)
      expect(Math.abs(back[i] - absmax[i])).toBeLessThan(0.02 * absmax[i]);
  });
  it('8-bit linear (absmax) blocks keep 1/254 of the range', () => {
    const x = gaussian(4096, 5);
    const q = quantizeBlockwise8(x, { blockSize: 256 });
    const y = dequantizeBlockwise8(q);
    for (let i = 0; i < x.length; i++)
      expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(q.absmax[(i / 256) | 0] / 254 + 1e-6);
  });
  it('llama.cpp blocks have the ggml sizes and scale by the largest-magnitude value', () => {
    const x = new Float32Array(32).fill(0.5);
    x[3] = -2;
    const q = quantizeGgml(x, 'q4_0');
    expect(q.byteLength).toBe(GGML_BLOCK_BYTES.q4_0);
    const y = dequantizeGgml(q, 'q4_0');
    expect(y[3]).toBe(-2);
    expect(quantizeGgml(x, 'q8_0').byteLength).toBe(34);
  });
});

describe('bad input', () => {
  it('names the argument, the expected and the actual value', () => {
    expect(() => quantize4bit([1, 2], 'nf4', { blockSize: 48 })).toThrow(
      /blockSize must be a power of two from 32 to 4096, got 48/,
    );
    expect(() => quantize4bit([1, Number.NaN], 'nf4')).toThrow(
      /element 1 is NaN; only finite weights can be quantized/,
    );
    expect(() => quantize4bit([Number.POSITIVE_INFINITY], 'fp4')).toThrow(QuantError);
    expect(() => quantizeGgml(new Float32Array(33), 'q4_0')).toThrow(
      /q4_0 needs a multiple of 32 elements, got 33/,
    );
  });
});
