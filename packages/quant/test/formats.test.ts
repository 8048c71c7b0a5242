import { describe, expect, it } from 'vitest';
import { scaledValue } from '../src/encode.js';
import {
  bitsPerParameter,
  DYNAMIC_CODE,
  dequantize4bit,
  dequantizeAbsmax,
  dequantizeBlockwise8,
  dequantizeGgml,
  doubleQuantize,
  encoder,
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
import { torchMeanF32, torchSumF32 } from '../src/torch-mean.js';
import { bitsDiffer, fixture, lcgSums, ulpSteps } from './bnb-fixture.js';

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

describe(`bitsandbytes' reference quantizer (${fixture.bitsandbytes.slice(0, 12)}, PyTorch ${fixture.torch})`, () => {
  it('has its code books, bucket bounds and order, and the dynamic map, bit for bit', () => {
    for (const [type, book] of [
      ['nf4', NF4_CODE],
      ['fp4', FP4_CODE],
    ] as const) {
      const want = fixture.books[type];
      expect(bitsDiffer(book, want.code), type).toEqual([]);
      expect(bitsDiffer(encoder(type).bounds, want.bounds), `${type} bounds`).toEqual([]);
      expect([...encoder(type).codes], `${type} order`).toEqual(want.order);
    }
    expect(bitsDiffer(DYNAMIC_CODE, fixture.books.dynamic.code)).toEqual([]);
    expect(bitsDiffer(encoder('dynamic8').bounds, fixture.books.dynamic.bounds)).toEqual([]);
  });

  it.each(
    fixture.cases.map((c) => [`${c.type} ${c.name}`, c] as const),
  )('%s: the same bytes, absmax and double quantization', (_name, c) => {
    const q = quantize4bit(c.x, c.type, { blockSize: c.blockSize });
    expect(Buffer.from(q.packed).toString('hex')).toBe(Buffer.from(c.packed).toString('hex'));
    if (c.nested) {
      const { offset, inner } = withDoubleQuant(q).nested!;
      expect(offset).toBe(Math.fround(c.nested.offset));
      expect([...inner.codes]).toEqual(c.nested.codes);
      expect(bitsDiffer(inner.absmax, c.nested.absmax)).toEqual([]);
    } else expect(bitsDiffer(q.absmax!, c.absmax!)).toEqual([]);
    if (c.scaled) {
      const short = c.x.length - (c.x.length % c.blockSize);
      const got = c.x.map((v, i) =>
        scaledValue(Math.fround(v), q.absmax![(i / c.blockSize) | 0], i >= short),
      );
      expect(bitsDiffer(got, c.scaled)).toEqual([]);
    }
  });

  it('covers the midpoints: scaled values on, and 1–3 ulp either side of, every bound, both paths', () => {
    // Tally of where each scaled value fell relative to its nearest bound, and of the elements whose
    // code is not that of the nearest code value to the exact quotient x / absmax (the reciprocal's
    // and the product's roundings move them across a midpoint).
    const tally = { on: 0, below: 0, above: 0, farther: 0, notNearest: 0, recip: 0, division: 0 };
    for (const c of fixture.cases.filter((c) => c.name.startsWith('midpoints'))) {
      const bounds = encoder(c.type).bounds;
      const book = c.type === 'nf4' ? NF4_CODE : FP4_CODE;
      const codes = unpack4(Uint8Array.from(c.packed), c.x.length);
      const absmax = Math.max(...c.x.map(Math.abs));
      c.scaled!.forEach((s, i) => {
        const b = bounds.reduce((best, v) => (Math.abs(v - s) < Math.abs(best - s) ? v : best));
        const steps = ulpSteps(Math.fround(s), b);
        if (steps === 0) tally.on++;
        else if (Math.abs(steps) > 3) tally.farther++;
        else if (steps < 0) tally.below++;
        else tally.above++;
        const exact = c.x[i] / absmax;
        const nearest = Math.min(...book.map((v) => Math.abs(v - exact)));
        if (Math.abs(book[codes[i]] - exact) > nearest * (1 + 1e-12)) tally.notNearest++;
      });
      tally[c.blockSize === 4096 ? 'division' : 'recip'] += c.x.length;
    }
    // The fixture places 7 values per bound (3 below, on, 3 above) for 7 absmax values, both types and
    // both paths: a few thousand; most land within 3 ulp of a bound, some exactly on it.
    expect(tally.on).toBeGreaterThan(100);
    expect(tally.below).toBeGreaterThan(300);
    expect(tally.above).toBeGreaterThan(300);
    expect(tally.notNearest).toBeGreaterThan(10);
    expect(tally.recip).toBeGreaterThan(1000);
    expect(tally.division).toBeGreaterThan(1000);
  });

  it("takes the double-quantization offset as torch's float32 mean, through every level of its cascade sum", () => {
    let differsFromFloat64 = 0;
    for (const { n, seed, sum, mean } of fixture.means) {
      const x = Float32Array.from(lcgSums(n, seed), (a) => (a + 1) / 12288);
      expect(torchSumF32(x), `sum of ${n}`).toBe(sum);
      expect(torchMeanF32(x), `mean of ${n}`).toBe(mean);
      if (Math.fround(x.reduce((a, b) => a + b, 0) / n) !== mean) differsFromFloat64++;
    }
    // The float64 mean rounded once (what this package took before) misses some of them.
    expect(differsFromFloat64).toBeGreaterThan(3);
  });

  it('gives the bytes bitsandbytes gives on the inputs that once differed', () => {
    const hex = (x: number[], type: 'nf4' | 'fp4') =>
      Buffer.from(quantize4bit(x, type).packed).toString('hex');
    expect(hex([3.0, 2.58443546295166], 'nf4')).toBe('ff'); // f32(2.5844… · f32(1/3)) rounds onto the midpoint 0.8615 → 1.0
    expect(hex([3.0, -2.5], 'fp4')).toBe('3a');
    expect(hex([1.0, 0.001], 'fp4')).toBe('38'); // (0, 0.0026]: code 8 (the second +0 in bucket order)
    expect(hex([1.0, -0.001], 'fp4')).toBe('30');
    expect(hex([1.0], 'nf4')).toBe('f7'); // the pad nibble: NF4's code of 0
    const zeros = quantize4bit([...new Float32Array(64).fill(0.5), 0, 0, 0], 'nf4');
    expect([...zeros.absmax!]).toEqual([0.5, Math.fround(1e-38)]);
    const dq = withDoubleQuant(
      quantize4bit([3.4, ...new Array(63).fill(0), 1.93, ...new Array(63).fill(0), 2.42], 'nf4'),
    );
    expect(dq.nested!.offset).toBe(Math.fround(2.5833333)); // float32 sum, then / 3: not the float64 mean
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
    expect([...q.packed]).toEqual([(15 << 4) | 0, (7 << 4) | 7]);
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
