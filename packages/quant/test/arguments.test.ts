// Bad arguments to every public entry point: a QuantError naming the argument, the expected and the
// actual value, never a TypeError from deep inside, a NaN result or a silently wrong answer.
import { Linear, Module } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import {
  applyLora,
  bitsPerParameter,
  bnbTensors,
  codeBook,
  dequantize4bit,
  dequantizeAbsmax,
  dequantizeBlockwise8,
  dequantizeGgml,
  doubleQuantize,
  encode4,
  encoder,
  Linear4bit,
  matmul4,
  matmul4bit,
  QuantError,
  QuantizedWeight,
  quantize4bit,
  quantizeBlockwise8,
  quantizeGgml,
  quantizeModel,
  quantizeTensor,
  unpack4,
  withDoubleQuant,
} from '../src/index.js';
import { rng } from './random.js';

/** A model holding at most one linear layer, `proj`. */
class Holder extends Module {
  constructor(proj?: Linear) {
    super();
    if (proj) this.child('proj', proj);
  }
  forward(x: T.Tensor): T.Tensor {
    return x;
  }
}

const x10 = Float32Array.from({ length: 10 }, (_, i) => i / 10 - 0.5);
const q = quantize4bit(
  Float32Array.from({ length: 100 }, (_, i) => Math.sin(i)),
  'nf4',
  { blockSize: 64 },
);
const dq = withDoubleQuant(q);

/** The error `run` throws (or undefined). */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('each entry point names the bad argument, the expected and the actual value', () => {
  const cases: [string, () => unknown, RegExp][] = [
    // The three gaps first seen, then the rest of the package's entry points.
    [
      'quantize4bit: an unknown type',
      () => quantize4bit(x10, 'nf5' as 'nf4'),
      /quantize4bit: type must be 'nf4', 'fp4' or 'int4', got "nf5"/,
    ],
    [
      'quantize4bit: a shape of the wrong size',
      () => quantize4bit(x10, 'nf4', { shape: [20] }),
      /quantize4bit: shape \[20\] holds 20 elements, x has 10/,
    ],
    [
      'dequantize4bit: too few absmax values',
      () => dequantize4bit({ ...q, absmax: q.absmax!.subarray(0, 1) }),
      /dequantize4bit: q\.absmax must hold 2 values, got 1/,
    ],
    [
      'quantize4bit: a negative dim',
      () => quantize4bit(x10, 'nf4', { shape: [-2, -5] }),
      /quantize4bit: shape must be a list of non-negative integers, got \[-2,-5\]/,
    ],
    [
      'quantize4bit: x not numbers',
      () => quantize4bit(['1', 2] as unknown as number[]),
      /quantize4bit: x must be an array or typed array of numbers, got \["1",2\]/,
    ],
    [
      'quantize4bit: beyond float32',
      () => quantize4bit([1, 1e39]),
      /quantize4bit: element 1 is 1e\+39 \(beyond the float32 range\)/,
    ],
    [
      'dequantize4bit: a shape that does not fit the bytes',
      () => dequantize4bit({ ...q, shape: [200] }),
      /dequantize4bit: q\.packed must hold 100 values, got 50/,
    ],
    [
      'dequantize4bit: an unknown type',
      () => dequantize4bit({ ...q, type: 'nf5' as 'nf4' }),
      /dequantize4bit: q\.type must be 'nf4', 'fp4' or 'int4', got "nf5"/,
    ],
    [
      'dequantize4bit: neither absmax',
      () => dequantize4bit({ ...q, absmax: undefined }),
      /dequantize4bit: q has neither absmax nor nested absmax/,
    ],
    [
      'dequantize4bit: short nested codes',
      () =>
        dequantize4bit({
          ...dq,
          nested: { ...dq.nested!, inner: { ...dq.nested!.inner, codes: new Uint8Array(1) } },
        }),
      /dequantize4bit: q\.nested\.inner\.codes must hold 2 values, got 1/,
    ],
    [
      'dequantize4bit: a NaN offset',
      () => dequantize4bit({ ...dq, nested: { ...dq.nested!, offset: Number.NaN } }),
      /dequantize4bit: q\.nested\.offset must be a finite number, got NaN/,
    ],
    [
      'dequantize4bit: a short nested map',
      () =>
        dequantize4bit({
          ...dq,
          nested: { ...dq.nested!, inner: { ...dq.nested!.inner, map: new Float32Array(16) } },
        }),
      /dequantize4bit: q\.nested\.inner\.map must hold 256 values, got 16/,
    ],
    [
      'unpack4: n past the bytes',
      () => unpack4(new Uint8Array(2), 5),
      /unpack4: n must be at most 4 \(2 per byte of packed\), got 5/,
    ],
    [
      'unpack4: a fractional n',
      () => unpack4(new Uint8Array(2), 1.5),
      /unpack4: n must be a non-negative integer, got 1\.5/,
    ],
    [
      'quantizeBlockwise8: an unknown code',
      () => quantizeBlockwise8(x10, { code: 'log' as 'linear' }),
      /quantizeBlockwise8: code must be 'linear' or 'dynamic', got "log"/,
    ],
    [
      'dequantizeBlockwise8: too few absmax',
      () =>
        dequantizeBlockwise8({ ...quantizeBlockwise8(new Float32Array(300)), absmax: new Float32Array(1) }),
      /dequantizeBlockwise8: q\.absmax must hold 2 values, got 1/,
    ],
    [
      'doubleQuantize: not a Float32Array',
      () => doubleQuantize([1, 2] as unknown as Float32Array),
      /doubleQuantize: absmax must be a Float32Array, got \[1,2\]/,
    ],
    [
      'dequantizeAbsmax: a missing offset',
      () => dequantizeAbsmax({ ...dq.nested!, offset: undefined as unknown as number }),
      /dequantizeAbsmax: d\.offset must be a finite number, got nothing/,
    ],
    ['withDoubleQuant: twice', () => withDoubleQuant(dq), /withDoubleQuant: q is already double-quantized/],
    [
      'bitsPerParameter: bits 0',
      () => bitsPerParameter(64, false, 0),
      /bitsPerParameter: bits must be an integer from 1 to 32, got 0/,
    ],
    [
      'bitsPerParameter: doubleQuant "yes"',
      () => bitsPerParameter(64, 'yes' as unknown as boolean),
      /bitsPerParameter: doubleQuant must be true or false, got "yes"/,
    ],
    [
      'quantizeGgml: an unknown type',
      () => quantizeGgml(new Float32Array(32), 'q5_0' as 'q4_0'),
      /quantizeGgml: type must be 'q4_0' or 'q8_0', got "q5_0"/,
    ],
    [
      'dequantizeGgml: an unknown type',
      () => dequantizeGgml(new Uint8Array(18), 'q4_1' as 'q4_0'),
      /dequantizeGgml: type must be 'q4_0' or 'q8_0', got "q4_1"/,
    ],
    [
      'matmul4bit: a fractional m',
      () => matmul4bit(new Float32Array(0), 0.5, { ...q, shape: [10, 10] }),
      /matmul4bit: m must be a non-negative integer, got 0\.5/,
    ],
    [
      'matmul4bit: a weight whose absmax is short',
      () => matmul4bit(new Float32Array(10), 1, { ...q, shape: [10, 10], absmax: new Float32Array(1) }),
      /matmul4bit: w\.absmax must hold 2 values, got 1/,
    ],
    [
      'codeBook: an unknown type',
      () => codeBook('nf5' as 'nf4'),
      /codeBook: type must be 'nf4', 'fp4' or 'int4', got "nf5"/,
    ],
    [
      'encoder: an unknown type',
      () => encoder('dynamic4' as 'nf4'),
      /encoder: type must be 'nf4', 'fp4', 'int4' or 'dynamic8', got "dynamic4"/,
    ],
    ['encode4: a NaN value', () => encode4('fp4', Number.NaN), /encode4: s must be a number, got NaN/],
    [
      'bnbTensors: an empty prefix',
      () => bnbTensors('', q),
      /bnbTensors: prefix must be a tensor name, got ""/,
    ],
    [
      'QuantizedWeight.upload: short absmax',
      () => QuantizedWeight.upload({ ...q, absmax: new Float32Array(1) }, T.cpuBackend),
      /QuantizedWeight\.upload: q\.absmax must hold 2 values, got 1/,
    ],
    [
      'QuantizedWeight.upload: a linear nested code',
      () =>
        QuantizedWeight.upload(
          { ...dq, nested: { ...dq.nested!, inner: { ...dq.nested!.inner, code: 'linear' } } },
          T.cpuBackend,
        ),
      /QuantizedWeight\.upload: q\.nested\.inner\.code must be 'dynamic'/,
    ],
    [
      'QuantizedWeight.upload: not a backend',
      () => QuantizedWeight.upload(q, 'gpu' as unknown as T.Backend),
      /QuantizedWeight\.upload: backend must be a Tessera backend \(cpu, wasm or webgpu\), got "gpu"/,
    ],
    [
      'Linear4bit: a host-side weight',
      () => new Linear4bit(q as unknown as QuantizedWeight),
      /Linear4bit: weight must be a QuantizedWeight, got \{"type":"nf4"/,
    ],
    [
      'applyLora: targetModules as a string',
      () => applyLora(new Holder(), { targetModules: 'q_proj' as unknown as string[] }),
      /LoRA: targetModules must be a list of module names, got "q_proj"/,
    ],
    [
      'applyLora: alpha NaN',
      () => applyLora(new Holder(), { alpha: Number.NaN }),
      /LoRA: alpha must be a finite number, got NaN/,
    ],
  ];
  it.each(cases)('%s', (_what, run, message) => {
    const e = thrown(run);
    expect(e).toBeInstanceOf(QuantError);
    expect((e as Error).message).toMatch(message);
  });

  it('async entry points: quantizeTensor, quantizeModel and matmul4 options', async () => {
    const t = T.tensor(x10, { backend: T.cpuBackend });
    await expect(quantizeTensor(t, { type: 'nf5' as 'nf4' })).rejects.toThrow(
      /quantizeTensor: options\.type must be 'nf4', 'fp4' or 'int4', got "nf5"/,
    );
    await expect(quantizeTensor(t, { doubleQuant: 1 as unknown as boolean })).rejects.toThrow(
      /quantizeTensor: options\.doubleQuant must be true or false, got 1/,
    );
    const w = await quantizeTensor(T.tensor(new Float32Array(64), { backend: T.cpuBackend, shape: [2, 32] }));
    expect(() => matmul4(T.ones([1, 32], { backend: T.cpuBackend }), w, { compute: 'f64' as 'f32' })).toThrow(
      /matmul4: options\.compute must be 'f32' or 'f16', got "f64"/,
    );
    // A model with nothing to quantize still has its options checked, and is left as it was.
    const model = new Holder();
    await expect(quantizeModel(model, { blockSize: 48 })).rejects.toThrow(
      /quantizeModel: options\.blockSize must be a power of two from 32 to 4096, got 48/,
    );
    await expect(quantizeModel(model, { skip: 'lm_head' as unknown as string[] })).rejects.toThrow(
      /quantizeModel: options\.skip must be a list of module names, got "lm_head"/,
    );
    w.dispose();
    t.dispose();
  });

  it('leaves a model as it was when applyLora matches no layer', () => {
    const model = new Holder(new Linear(4, 4, { backend: T.cpuBackend }));
    const before = model.parameters().map((p) => p.requiresGrad);
    expect(() => applyLora(model, { targetModules: ['nothing'] })).toThrow(/no linear layer matches/);
    expect(model.parameters().map((p) => p.requiresGrad)).toEqual(before);
    expect(model.getModule('proj')).toBeInstanceOf(Linear);
    model.dispose();
  });
});

describe('fuzz: junk in any argument or field gives a result or a QuantError', () => {
  const JUNK: unknown[] = [
    undefined,
    null,
    Number.NaN,
    -1,
    0,
    1.5,
    33,
    64,
    2 ** 40,
    '64',
    'nf4',
    'dynamic',
    true,
    {},
    [],
    [3],
    [-1, 4],
    new Float32Array(3),
    new Uint8Array(7),
    new Float64Array([1, 2]),
    () => 0,
  ];
  // Each entry point with valid arguments; the fuzzer replaces one argument, or one field of an object argument.
  const ENTRY: [string, (...a: never[]) => unknown, unknown[]][] = [
    ['quantize4bit', quantize4bit, [x10, 'fp4', { blockSize: 32, shape: [2, 5] }]],
    ['dequantize4bit', dequantize4bit, [q]],
    ['dequantize4bit (nested)', dequantize4bit, [dq]],
    ['unpack4', unpack4, [q.packed, 100]],
    ['quantizeBlockwise8', quantizeBlockwise8, [x10, { blockSize: 32, code: 'dynamic' }]],
    ['dequantizeBlockwise8', dequantizeBlockwise8, [dq.nested!.inner]],
    ['doubleQuantize', doubleQuantize, [q.absmax]],
    ['dequantizeAbsmax', dequantizeAbsmax, [dq.nested]],
    ['withDoubleQuant', withDoubleQuant, [q]],
    ['bitsPerParameter', bitsPerParameter, [64, true, 4]],
    ['quantizeGgml', quantizeGgml, [new Float32Array(32), 'q4_0']],
    ['dequantizeGgml', dequantizeGgml, [new Uint8Array(18), 'q8_0']],
    ['matmul4bit', matmul4bit, [new Float32Array(20), 2, { ...q, shape: [10, 10] }]],
    ['encode4', encode4, ['nf4', 0.3]],
    ['bnbTensors', bnbTensors, ['w', dq, { dtype: 'bfloat16' }]],
    ['QuantizedWeight.upload', (a: never) => QuantizedWeight.upload(a, T.cpuBackend), [q]],
  ];

  /** Arguments for a failure message, typed arrays by type and length. */
  const shown = (args: unknown[]) =>
    JSON.stringify(args, (_k, v) =>
      ArrayBuffer.isView(v) ? `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length})` : v,
    );

  it('on 4000 mutated calls across 16 entry points', () => {
    const tally = { ok: 0, QuantError: 0 };
    const perEntry = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const r = rng(i);
      const pick = <X>(xs: readonly X[]): X => xs[Math.floor(r() * xs.length)];
      const [name, fn, base] = ENTRY[i % ENTRY.length];
      const args = [...base];
      const at = Math.floor(r() * args.length);
      const arg = args[at];
      if (arg && typeof arg === 'object' && !ArrayBuffer.isView(arg) && r() < 0.7) {
        // A field of an object argument (one level down into nested / inner too).
        const copy: Record<string, unknown> = { ...(arg as object) };
        const keys = Object.keys(copy);
        const key = pick(keys);
        const inner = copy[key];
        if (
          inner &&
          typeof inner === 'object' &&
          !ArrayBuffer.isView(inner) &&
          !Array.isArray(inner) &&
          r() < 0.5
        ) {
          const sub: Record<string, unknown> = { ...(inner as object) };
          sub[pick(Object.keys(sub))] = pick(JUNK);
          copy[key] = sub;
        } else copy[key] = pick(JUNK);
        args[at] = copy;
      } else args[at] = pick(JUNK);
      let result: unknown;
      try {
        result = (fn as (...a: unknown[]) => unknown)(...args);
      } catch (e) {
        if (!(e instanceof QuantError)) throw new Error(`case ${i} (${name}): ${(e as Error)?.stack ?? e}`);
        tally.QuantError++;
        perEntry.set(name, (perEntry.get(name) ?? 0) + 1);
        continue;
      }
      // What comes back is well formed: no NaN from a missing value read as undefined.
      if (result instanceof Float32Array)
        expect(result.some(Number.isNaN), `case ${i} (${name}) returned NaN for ${shown(args)}`).toBe(false);
      if (typeof result === 'number') expect(Number.isNaN(result), `case ${i} (${name})`).toBe(false);
      if (result instanceof QuantizedWeight) result.dispose();
      if (result && typeof result === 'object' && !ArrayBuffer.isView(result))
        for (const v of Object.values(result)) if (v instanceof T.Tensor) v.dispose();
      tally.ok++;
    }
    // Both outcomes are common, and every entry point refused some of its mutations.
    // (This run: 276 results, 3724 refusals, 175 to 250 refusals per entry point.)
    expect(tally.ok).toBeGreaterThan(150);
    expect(tally.QuantError).toBeGreaterThan(3000);
    expect([...perEntry.keys()].sort()).toEqual(ENTRY.map(([n]) => n).sort());
  });
});
