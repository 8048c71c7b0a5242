// Patchers against the reference functions run in PyTorch (fixture), plus edge cases, batch
// independence, streaming = batch, and bad input.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rng } from '../../tensor/test/helpers.js';
import {
  bpePatches,
  calibrateThreshold,
  decodeBytes,
  encodeBytes,
  entropyPatches,
  entropyPatchesBatch,
  PatchingError,
  padLengths,
  StreamingPatcher,
  spacePatches,
  staticPatches,
  Utf8PatchDecoder,
  validateUtf8,
} from '../src/index.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/patchers.json', import.meta.url), 'utf8'));

describe('patchers: the reference on the same inputs', () => {
  it(`gives PyTorch's patch lengths in every mode (${fixture.cases.length} cases)`, () => {
    for (const c of fixture.cases) {
      const got =
        c.kind === 'entropy'
          ? entropyPatches(Float32Array.from(c.entropies), c.options)
          : c.kind === 'space'
            ? spacePatches(c.ids, { maxPatchLength: c.maxPatchLength ?? undefined })
            : c.kind === 'bpe'
              ? bpePatches(c.ids, { maxPatchLength: c.maxPatchLength ?? undefined })
              : staticPatches(c.length, c.patchSize);
      expect([...got.lengths], JSON.stringify({ ...c, lengths: undefined })).toEqual(c.lengths);
      // Starts are the running sums of lengths.
      let at = 0;
      got.lengths.forEach((l, i) => {
        expect(got.starts[i]).toBe(at);
        at += l;
      });
    }
  });

  it('compares in float32 as the reference: thresholds on float32-rounded rises and levels', () => {
    // 1.1f − 0.1f is 1.0000000224 exactly but 1.0 in float32: not above θ = 1 there.
    expect([
      ...entropyPatches(Float32Array.of(0, 0.1, 1.1, 0), { threshold: 1, monotonic: true }).starts,
    ]).toEqual([0, 1, 2]);
    // 0.1f (0.10000000149) is above the float64 0.1 but equal to θ once θ is rounded to float32, as torch does.
    expect([...entropyPatches(Float32Array.of(0, 0.1, 0.1, 0), { threshold: 0.1 }).starts]).toEqual([0, 1]);
    expect([
      ...entropyPatches(Float32Array.of(0, 0.1, 1.1, 0), { threshold: 0.5, thresholdAdd: 1 }).starts,
    ]).toEqual([0, 1, 2]);
    // The fixture's targeted rows are the regime: enough of them are decided otherwise in float64.
    const targeted = fixture.cases.filter((c: { targeted?: boolean }) => c.targeted);
    expect(targeted.length).toBeGreaterThan(100);
    expect(targeted.filter((c: { differsInFloat64: boolean }) => c.differsInFloat64).length).toBeGreaterThan(
      30,
    );
  });

  it('handles lengths 0, 1 and 2 (the reference crashes on some of them)', () => {
    for (const options of [
      { threshold: 1 },
      { threshold: 1, monotonic: true },
      { threshold: 1, thresholdAdd: 0 },
      { patchSize: 4 },
    ]) {
      expect([...entropyPatches([], options).lengths]).toEqual([]);
      expect([...entropyPatches([5], options).lengths]).toEqual([1]);
      expect([...entropyPatches([5, 5], options).lengths]).toEqual([1, 1]);
    }
    expect([...spacePatches([]).lengths]).toEqual([]);
    expect([...spacePatches([1]).lengths]).toEqual([1]);
    expect([...staticPatches(0, 4).lengths]).toEqual([]);
  });

  it('with nothing above the threshold gives the two fixed starts and one long patch', () => {
    expect([...entropyPatches(new Float32Array(10).fill(0.1), { threshold: 2 }).lengths]).toEqual([1, 9]);
    expect([
      ...entropyPatches(new Float32Array(10).fill(0.1), { threshold: 2, maxPatchLength: 4 }).lengths,
    ]).toEqual([1, 4, 4, 1]);
  });

  it('keeps batch rows independent and pads lengths like the reference', () => {
    const r = rng(3);
    const rows = [12, 0, 30, 7].map((n) => Float32Array.from({ length: n }, () => r() * 3));
    const batch = entropyPatchesBatch(rows, { threshold: 1.3 });
    for (const [i, row] of rows.entries()) expect(batch[i]).toEqual(entropyPatches(row, { threshold: 1.3 }));
    const padded = padLengths(batch);
    expect(new Set(padded.map((p) => p.length)).size).toBe(1);
    for (const [i, p] of padded.entries()) expect(p.reduce((a, b) => a + b, 0)).toBe(rows[i].length);
  });
});

describe('streaming patcher', () => {
  it('emits the batch patches, each as soon as it is decided, for every causal mode', () => {
    const r = rng(9);
    for (const options of [
      { threshold: 1.2 },
      { threshold: 0.4, monotonic: true },
      { threshold: 1.0, thresholdAdd: 0.1 },
      { threshold: 1.2, maxPatchLength: 3 },
    ]) {
      for (let trial = 0; trial < 20; trial++) {
        const n = Math.floor(r() * 60);
        const e = Float32Array.from({ length: n }, () => r() * 3);
        const batch = entropyPatches(e, options);
        const s = new StreamingPatcher(options);
        const got: { start: number; length: number }[] = [];
        let at = 0;
        while (at < n) {
          const k = 1 + Math.floor(r() * 5);
          for (const p of s.push(e.subarray(at, at + k))) {
            // Decided no later than the first position after it.
            expect(p.start + p.length).toBeLessThanOrEqual(Math.min(n, at + k));
            got.push(p);
          }
          at += k;
        }
        got.push(...s.flush());
        expect(got.map((p) => p.length)).toEqual([...batch.lengths]);
        expect(got.map((p) => p.start)).toEqual([...batch.starts]);
      }
    }
  });

  it("gives PyTorch's patches on every threshold case of the fixture, float32 edge rows included", () => {
    const cases = fixture.cases.filter(
      (c: { kind: string; options?: { threshold?: number } }) =>
        c.kind === 'entropy' && c.options?.threshold !== undefined,
    );
    expect(cases.length).toBeGreaterThan(200);
    for (const c of cases) {
      const s = new StreamingPatcher(c.options);
      const got = [...s.push(c.entropies), ...s.flush()];
      expect(
        got.map((p) => p.length),
        JSON.stringify(c.options),
      ).toEqual(c.lengths);
    }
  });

  it('refuses top-k (it needs the whole row)', () => {
    expect(() => new StreamingPatcher({ patchSize: 4 })).toThrow(
      /top-k patching \(no threshold\) needs the whole sequence/,
    );
  });
});

describe('byte ids and text', () => {
  it('encodes as the reference (BOS 1, bytes + 4, EOS 2) and decodes any patch safely', () => {
    const ids = encodeBytes('né');
    expect([...ids]).toEqual([1, 110 + 4, 0xc3 + 4, 0xa9 + 4, 2]);
    expect(decodeBytes(ids)).toBe('né');
    expect(decodeBytes([1, 0xc3 + 4])).toBe('\ufffd'); // a cut character never throws
    const text = 'héllo wörld — ünïcode ✓';
    const all = encodeBytes(text, { bos: false, eos: false });
    const d = new Utf8PatchDecoder();
    let out = '';
    for (let i = 0; i < all.length; i += 3) out += d.push(all.subarray(i, i + 3));
    expect(out + d.end()).toBe(text);
  });

  it('validates UTF-8 naming the offset, and ids naming the position', () => {
    expect(() => validateUtf8(Uint8Array.from([0x61, 0x62, 0xff, 0x63]))).toThrow(/byte 2 \(0xff\)/);
    expect(() => validateUtf8(new Uint8Array(0))).not.toThrow();
    expect(() => decodeBytes([1, 300])).toThrow(/ids\[1\] must be an integer in 0\.\.259, got 300/);
  });
});

describe('bad input and calibration', () => {
  it('names bad thresholds, sizes and NaN entropies', () => {
    expect(() => entropyPatches([1, 2], { threshold: Number.NaN })).toThrow(
      /threshold must be a finite number ≥ 0, got NaN/,
    );
    expect(() => entropyPatches([1, 2], { threshold: -1 })).toThrow(PatchingError);
    expect(() => entropyPatches([1, 2], {})).toThrow(/give a threshold, or a patchSize/);
    expect(() => entropyPatches([1, Number.NaN, 2], { threshold: 1 })).toThrow(/entropies\[1\] is NaN/);
    expect(() => entropyPatches([1, 2], { threshold: 1, maxPatchLength: 0 })).toThrow(
      /maxPatchLength must be a positive integer/,
    );
    expect(() => staticPatches(5, 0)).toThrow(/patchSize must be a positive integer, got 0/);
  });

  it('calibrates θ to a target mean patch size', () => {
    const r = rng(5);
    const rows = Array.from({ length: 4 }, () => Float32Array.from({ length: 400 }, () => r() * 3));
    const { threshold, meanPatchSize } = calibrateThreshold(rows, 4.5);
    expect(Math.abs(meanPatchSize - 4.5)).toBeLessThan(0.25);
    const patches = rows.reduce((n, row) => n + entropyPatches(row, { threshold }).starts.length, 0);
    expect(1600 / patches).toBeCloseTo(meanPatchSize, 6);
  });

  it('calibrates to the smallest float32 θ that reaches the target, in every threshold mode', () => {
    // The fixture's float32 edge rows: the patchers compare in float32, so θ must be one and the
    // float32 just below it must fall short (a float64 bisection would land between the two).
    const rows = fixture.cases
      .filter((c: { targeted?: boolean }) => c.targeted)
      .map((c: { entropies: number[] }) => Float32Array.from(c.entropies));
    const below = (v: number) => {
      const w = new DataView(new ArrayBuffer(4));
      w.setFloat32(0, v);
      w.setUint32(0, w.getUint32(0) - 1);
      return w.getFloat32(0);
    };
    const total = rows.reduce((n: number, r: Float32Array) => n + r.length, 0);
    for (const options of [{}, { monotonic: true }, { thresholdAdd: 0 }, { maxPatchLength: 6 }])
      for (const target of [2, 3.5]) {
        const { threshold, meanPatchSize } = calibrateThreshold(rows, target, options);
        expect(Math.fround(threshold)).toBe(threshold);
        const mean = (t: number) =>
          total /
          rows.reduce(
            (n: number, r: Float32Array) => n + entropyPatches(r, { ...options, threshold: t }).starts.length,
            0,
          );
        expect(mean(threshold)).toBe(meanPatchSize);
        expect(meanPatchSize, JSON.stringify({ options, target })).toBeGreaterThanOrEqual(target);
        expect(mean(below(threshold))).toBeLessThan(target);
      }
  });
});
