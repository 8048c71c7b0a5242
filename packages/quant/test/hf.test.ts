import { readFileSync } from 'node:fs';
import { parseSafetensorsHeader, readSafetensors, SafetensorsError, writeSafetensors } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import {
  dequantizeAbsmax,
  QuantError,
  type Quantized4,
  quantize4bit,
  withDoubleQuant,
} from '../src/blockwise.js';
import { FP4_CODE } from '../src/codebooks.js';
import { QuantizedWeight } from '../src/device/weight.js';
import { bnbTensors, fromBnbTensors, readBnbCheckpoint, writeBnbCheckpoint } from '../src/hf.js';
import { lcgSums } from './bnb-fixture.js';
import { rng } from './random.js';

/** tools/fixtures/gen_quant_hf.py's weights: Irwin–Hall sums of four 12-bit LCG draws on a 2^-bits grid. */
const weights = (n: number, seed: number, bits: number): Float32Array =>
  Float32Array.from(lcgSums(n, seed), (acc) => (acc >> (12 - bits)) / 2 ** bits - 2);

function quantize(type: 'nf4' | 'fp4', blockSize: number, dq: boolean, shape: number[], seed = 1, bits = 12) {
  const q = quantize4bit(
    weights(
      shape.reduce((a, b) => a * b, 1),
      seed,
      bits,
    ),
    type,
    { blockSize, shape },
  );
  return dq ? withDoubleQuant(q) : q;
}

const u8 = (data: ArrayLike<number>, shape = [data.length]) =>
  T.tensor(Uint8Array.from(data), { shape, dtype: 'u8', backend: T.cpuBackend });
const f32 = (data: ArrayLike<number>, shape = [data.length]) =>
  T.tensor(Float32Array.from(data), { shape, dtype: 'f32', backend: T.cpuBackend });
const text = async (t: T.Tensor) => new TextDecoder().decode((await t.data()) as Uint8Array);

describe('bnbTensors / fromBnbTensors', () => {
  const cases: [string, 'nf4' | 'fp4', number, boolean, number[]][] = [
    ['odd, one partial block', 'nf4', 64, false, [7, 9]],
    ['odd, double-quantized', 'nf4', 32, true, [5, 13]],
    ['a scalar', 'fp4', 64, false, []],
    ['3-D, partial last block', 'fp4', 128, true, [3, 5, 43]],
    ['260 blocks: two nested blocks', 'nf4', 32, true, [16, 520]],
    ['empty', 'fp4', 64, false, [0, 8]],
  ];
  for (const [what, type, bs, dq, shape] of cases) {
    it(`round-trips ${type}${dq ? ' with double quantization' : ''}: ${what} [${shape}]`, async () => {
      const q = quantize(type, bs, dq, shape);
      const back = await fromBnbTensors('m.weight', bnbTensors('m.weight', q));
      expect(back).toEqual(q);
    });
  }

  it('writes the keys, dtypes, shapes and JSON state bitsandbytes does', async () => {
    const q = quantize('nf4', 32, true, [5, 13]);
    const t = bnbTensors('model.layers.0.self_attn.q_proj.weight', q, { dtype: 'bfloat16' });
    const layout = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, `${v.dtype}[${v.shape}]`]));
    const p = 'model.layers.0.self_attn.q_proj.weight';
    expect(layout).toEqual({
      [p]: 'u8[33,1]',
      [`${p}.absmax`]: 'u8[3]',
      [`${p}.quant_map`]: 'f32[16]',
      [`${p}.nested_absmax`]: 'f32[1]',
      [`${p}.nested_quant_map`]: 'f32[256]',
      [`${p}.quant_state.bitsandbytes__nf4`]: `u8[${(await t[`${p}.quant_state.bitsandbytes__nf4`].data()).length}]`,
    });
    expect(await text(t[`${p}.quant_state.bitsandbytes__nf4`])).toBe(
      `{"quant_type": "nf4", "blocksize": 32, "dtype": "bfloat16", "shape": [5, 13], "nested_blocksize": 256, ` +
        `"nested_dtype": "float32", "nested_offset": ${JSON.stringify(q.nested!.offset)}}`,
    );
    const plain = bnbTensors('w', quantize('fp4', 64, false, [7, 9]));
    expect(await text(plain['w.quant_state.bitsandbytes__fp4'])).toBe(
      '{"quant_type": "fp4", "blocksize": 64, "dtype": "float32", "shape": [7, 9]}',
    );
  });

  it('pads an odd weight’s last nibble with the code of 0, as bitsandbytes does, and reads it back as it is', async () => {
    const q = quantize('nf4', 64, false, [7, 9]);
    expect(q.packed[31] & 15).toBe(7); // NF4 code 7 is 0.0
    const t = bnbTensors('w', {
      ...q,
      packed: Uint8Array.from(q.packed, (v, i) => (i === 31 ? v & 0xf0 : v)),
    });
    expect(((await t.w.data()) as Uint8Array)[31] & 15).toBe(7);
    t.w = u8([...q.packed.subarray(0, 31), (q.packed[31] & 0xf0) | 9], [32, 1]);
    expect((await fromBnbTensors('w', t)).packed[31] & 15).toBe(9);
  });

  it('writes nested_offset as Python’s repr does', async () => {
    // Expected strings are Python's json.dumps of the same floats.
    const cases: [number, string][] = [
      [3, '3.0'],
      [0.5, '0.5'],
      [1.2931489944458008, '1.2931489944458008'],
      [1e-5, '1e-05'],
      [-2.5e-7, '-2.5e-07'],
      [0.0001, '0.0001'],
      [123456.75, '123456.75'],
      [1e16, '1e+16'],
      [1.5e300, '1.5e+300'],
      [-0, '-0.0'],
    ];
    const q = quantize('nf4', 64, true, [8, 8]);
    for (const [offset, py] of cases) {
      const t = bnbTensors('w', { ...q, nested: { ...q.nested!, offset } });
      const json = await text(t['w.quant_state.bitsandbytes__nf4']);
      expect(json.endsWith(`"nested_offset": ${py}}`)).toBe(true);
      expect((await fromBnbTensors('w', t)).nested!.offset).toBe(Math.fround(offset));
    }
  });
});

describe('the checkpoint of tools/fixtures/gen_quant_hf.py (bitsandbytes’ serialisation re-implemented in PyTorch)', () => {
  const bytes = new Uint8Array(readFileSync(new URL('./fixtures/quant_hf.safetensors', import.meta.url)));
  // Mirrors the script's LINEARS: name, type, block size, double quantization, shape, dtype, seed,
  // how the packed codes are stored, and whether the file carries its own nested map.
  const LINEARS: [
    string,
    'nf4' | 'fp4',
    number,
    boolean,
    number[],
    'float32' | 'float16' | 'bfloat16',
    number,
    'U8' | 'BF16' | 'F16' | 'F32',
    boolean,
  ][] = [
    ['model.layers.0.self_attn.q_proj', 'nf4', 32, true, [16, 520], 'bfloat16', 11, 'U8', false],
    ['model.layers.0.self_attn.o_proj', 'fp4', 64, true, [6, 50], 'float16', 12, 'U8', false],
    ['model.layers.0.mlp.down_proj', 'nf4', 64, false, [7, 9], 'float32', 13, 'U8', false],
    ['model.layers.0.mlp.up_proj', 'fp4', 128, false, [3, 43], 'bfloat16', 14, 'U8', false],
    ['model.layers.1.self_attn.q_proj', 'nf4', 64, true, [8, 24], 'bfloat16', 15, 'BF16', false],
    ['model.layers.1.self_attn.k_proj', 'fp4', 64, false, [4, 22], 'float16', 16, 'F16', false],
    ['model.layers.1.mlp.down_proj', 'nf4', 32, true, [7, 9], 'float32', 17, 'F32', false],
    ['model.layers.1.mlp.up_proj', 'nf4', 32, true, [40, 32], 'float32', 18, 'U8', true],
  ];
  const BITS = { bfloat16: 6, float16: 9, float32: 12 };

  it('reads into exactly what quantize4bit / withDoubleQuant produce for the same weights, however the codes are stored', async () => {
    const r = await readBnbCheckpoint(bytes);
    const header = parseSafetensorsHeader(bytes);
    expect(Object.keys(r.quantized).sort()).toEqual(LINEARS.map(([n]) => `${n}.weight`).sort());
    for (const [name, type, bs, dq, shape, dtype, seed, storage, ownMap] of LINEARS) {
      const want = quantize(type, bs, dq, shape, seed, BITS[dtype]);
      const got = r.quantized[`${name}.weight`];
      expect(header.entries[`${name}.weight`].dtype, name).toBe(storage);
      if (ownMap) {
        // Its nested codes were chosen against its own map; everything else is ours.
        expect({ ...got, nested: undefined }, name).toEqual({ ...want, nested: undefined });
        expect(got.nested!.offset).toBe(want.nested!.offset);
        expect(got.nested!.inner.absmax).toEqual(want.nested!.inner.absmax);
      } else expect(got, name).toEqual(want);
      expect(r.dtype[`${name}.weight`]).toBe(dtype);
    }
    expect(r.metadata).toEqual({ format: 'pt' });
    expect(r.storage).toEqual({
      'model.embed_tokens.weight': 'F32',
      'model.norm.weight': 'F16',
      'model.layers.0.mlp.up_proj.bias': 'BF16',
    });
    expect([...(await r.other['model.embed_tokens.weight'].data())]).toEqual([...weights(32, 21, 12)]);
    expect([...(await r.other['model.norm.weight'].data())]).toEqual([...weights(8, 22, 9)]);
    expect([...(await r.other['model.layers.0.mlp.up_proj.bias'].data())]).toEqual([...weights(3, 23, 6)]);
  });

  it('uses the nested_quant_map the file carries: dequantizes as bitsandbytes would with it', async () => {
    const r = await readBnbCheckpoint(bytes);
    const p = 'model.layers.1.mlp.up_proj.weight';
    const map = (await readSafetensors(bytes, { names: [`${p}.nested_quant_map`] })[
      `${p}.nested_quant_map`
    ].data()) as Float32Array;
    const { offset, inner } = r.quantized[p].nested!;
    expect(inner.map).toEqual(map);
    // bitsandbytes' dequantize_4bit: dequantize_blockwise (code[c] · absmax in float32) + offset.
    const want = Float32Array.from(inner.codes, (c, i) =>
      Math.fround(Math.fround(map[c] * inner.absmax[(i / 256) | 0]) + offset),
    );
    expect([...dequantizeAbsmax(r.quantized[p].nested!)]).toEqual([...want]);
    const onBackend = QuantizedWeight.upload(r.quantized[p], T.cpuBackend);
    expect([...((await onBackend.blockAbsmax().data()) as Float32Array)]).toEqual([...want]);
    onBackend.dispose();
    // Our own map would decode differently, so the comparison above tells the two apart: the maps are
    // one f32 step apart per entry, which survives scaling and the offset in a few of the 40 values.
    const ours = dequantizeAbsmax({ offset, inner: { ...inner, map: undefined } });
    expect(ours.filter((v, i) => v !== want[i]).length).toBeGreaterThan(0);
    // The unquantized map of the other weights is ours, bit for bit, and is not carried along.
    expect(r.quantized['model.layers.0.self_attn.q_proj.weight'].nested!.inner.map).toBeUndefined();
  });

  it('is what our writer writes for the same content (names, dtypes, shapes, values, JSON)', async () => {
    const r = await readBnbCheckpoint(bytes);
    const ours = await writeBnbCheckpoint(r.quantized, r.other, r);
    const [hp, ho] = [parseSafetensorsHeader(bytes), parseSafetensorsHeader(ours)];
    expect(ho.metadata).toEqual(hp.metadata);
    expect(Object.keys(ho.entries).sort()).toEqual(Object.keys(hp.entries).sort());
    const [tp, to] = [readSafetensors(bytes), readSafetensors(ours)];
    const raw = (h: typeof hp, file: Uint8Array, name: string) =>
      file.subarray(
        h.dataStart + h.entries[name].dataOffsets[0],
        h.dataStart + h.entries[name].dataOffsets[1],
      );
    for (const [name, e] of Object.entries(hp.entries)) {
      if (
        e.dtype !== 'U8' &&
        `${name.replace(/\.weight$/, '')}` in Object.fromEntries(LINEARS.map((l) => [l[0], 1]))
      ) {
        // quant_storage: we write the same bytes as U8 [bytes, 1].
        expect([name, ho.entries[name].dtype, ho.entries[name].shape]).toEqual([
          name,
          'U8',
          [raw(hp, bytes, name).length, 1],
        ]);
        expect(Buffer.from(raw(ho, ours, name)).equals(Buffer.from(raw(hp, bytes, name))), name).toBe(true);
        continue;
      }
      expect([name, ho.entries[name].dtype, ho.entries[name].shape]).toEqual([name, e.dtype, e.shape]);
      const [a, b] = [await tp[name].data(), await to[name].data()];
      if (name.includes('.quant_state.')) {
        const [ja, jb] = [
          new TextDecoder().decode(a as Uint8Array),
          new TextDecoder().decode(b as Uint8Array),
        ];
        expect(JSON.parse(jb)).toEqual(JSON.parse(ja));
        expect(jb).toBe(ja); // byte for byte: json.dumps' separators and float repr
      } else {
        expect([name, ...b]).toEqual([name, ...a]);
      }
    }
  });
});

describe('bad input', () => {
  const P = 'm.weight';
  const S = `${P}.quant_state.bitsandbytes__nf4`;
  const nested = () => bnbTensors(P, quantize('nf4', 32, true, [5, 13]));
  const plain = () => bnbTensors(P, quantize('nf4', 32, false, [5, 13]));
  /** The entries with their JSON state patched (a key set to undefined is deleted). */
  const patch = (base: () => Record<string, T.Tensor>, p: Record<string, unknown>) => async () => {
    const entries = base();
    const s = { ...JSON.parse(await text(entries[S])), ...p };
    return { ...entries, [S]: u8(new TextEncoder().encode(JSON.stringify(s))) };
  };
  const without = (base: Record<string, T.Tensor>, key: string) => {
    const { [key]: _, ...rest } = base;
    return rest;
  };
  const cases: [string, () => Promise<Record<string, T.Tensor>> | Record<string, T.Tensor>, RegExp][] = [
    [
      'no quant_state',
      () => without(plain(), S),
      /'m\.weight\.quant_state\.bitsandbytes__nf4' \(or __fp4\) is missing/,
    ],
    [
      'two quant_states',
      () => ({ ...plain(), [`${P}.quant_state.bitsandbytes__fp4`]: plain()[S] }),
      /'m\.weight': expected exactly one quant_state entry, got 2/,
    ],
    [
      'an int4 quant_state',
      () => ({ ...without(plain(), S), [`${P}.quant_state.bitsandbytes__int4`]: plain()[S] }),
      /'m\.weight\.quant_state\.bitsandbytes__int4': expected quant_state\.bitsandbytes__nf4 or __fp4, got quant_state\.bitsandbytes__int4/,
    ],
    [
      'an unknown entry',
      () => ({ ...plain(), [`${P}.SCB`]: f32([1]) }),
      /'m\.weight\.SCB': unexpected entry/,
    ],
    ['no weight', () => without(plain(), P), /'m\.weight' is missing/],
    [
      'an f32 weight',
      () => ({ ...plain(), [P]: f32(new Array(33).fill(0), [33, 1]) }),
      /'m\.weight': dtype must be u8, got f32/,
    ],
    [
      'a flat weight',
      () => ({ ...plain(), [P]: u8(new Array(33).fill(0)) }),
      /'m\.weight': shape must be \[33, 1\], got \[33\]/,
    ],
    [
      'absmax too long',
      () => ({ ...plain(), [`${P}.absmax`]: f32([1, 1, 1, 1]) }),
      /'m\.weight\.absmax': shape must be \[3\], got \[4\]/,
    ],
    [
      'f32 absmax when nested',
      () => ({ ...nested(), [`${P}.absmax`]: f32([1, 1, 1]) }),
      /'m\.weight\.absmax': dtype must be u8, got f32/,
    ],
    [
      'an infinite absmax',
      () => ({ ...plain(), [`${P}.absmax`]: f32([1, Infinity, 1]) }),
      /'m\.weight\.absmax': element 1 is Infinity, expected a finite value/,
    ],
    [
      'the fp4 map for nf4',
      () => ({ ...plain(), [`${P}.quant_map`]: f32(FP4_CODE) }),
      /'m\.weight\.quant_map': must be bitsandbytes' nf4 code book; element 0 is 0, expected -1/,
    ],
    [
      'a short quant_map',
      () => ({ ...plain(), [`${P}.quant_map`]: f32(new Array(15).fill(0)) }),
      /'m\.weight\.quant_map': shape must be \[16\], got \[15\]/,
    ],
    [
      'a NaN in the nested map',
      () => ({
        ...nested(),
        [`${P}.nested_quant_map`]: f32(
          Array.from({ length: 256 }, (_, i) => (i === 3 ? Number.NaN : i / 256)),
        ),
      }),
      /'m\.weight\.nested_quant_map': element 3 is NaN, expected a finite value/,
    ],
    [
      'nested state without nested_absmax',
      () => without(nested(), `${P}.nested_absmax`),
      /'m\.weight\.nested_absmax' is missing, yet nested_blocksize, nested_dtype, nested_offset, nested_quant_map are given/,
    ],
    [
      'a NaN nested_absmax',
      () => ({ ...nested(), [`${P}.nested_absmax`]: f32([Number.NaN]) }),
      /'m\.weight\.nested_absmax': element 0 is NaN/,
    ],
    [
      'truncated JSON',
      () => ({ ...plain(), [S]: u8(new TextEncoder().encode('{"quant_type": "nf4",')) }),
      /'m\.weight\.quant_state\.bitsandbytes__nf4': expected UTF-8 JSON, got bytes that fail to parse/,
    ],
    [
      'bytes that are not UTF-8',
      () => ({ ...plain(), [S]: u8([0x7b, 0xff, 0x7d]) }),
      /expected UTF-8 JSON, got bytes that fail to parse/,
    ],
    [
      'a JSON array',
      () => ({ ...plain(), [S]: u8(new TextEncoder().encode('[1]')) }),
      /expected a JSON object, got \[1\]/,
    ],
    [
      'a 2-D state tensor',
      () => ({ ...plain(), [S]: u8([123, 125], [1, 2]) }),
      /'m\.weight\.quant_state\.bitsandbytes__nf4': must be a 1-D u8 tensor, got u8\[1, 2\]/,
    ],
    [
      'an unknown state key',
      patch(plain, { compress_statistics: true }),
      /unexpected key "compress_statistics"/,
    ],
    [
      'no shape',
      patch(plain, { shape: undefined }),
      /'m\.weight\.quant_state\.bitsandbytes__nf4': key 'shape' is missing/,
    ],
    [
      'quant_type against the key',
      patch(plain, { quant_type: 'fp4' }),
      /quant_type must be 'nf4' \(the key's suffix\), got "fp4"/,
    ],
    [
      'blocksize 48',
      patch(plain, { blocksize: 48 }),
      /blocksize must be a power of two from 32 to 4096, got 48/,
    ],
    [
      'blocksize as a string',
      patch(plain, { blocksize: '32' }),
      /blocksize must be a power of two from 32 to 4096, got "32"/,
    ],
    [
      'torch.float32',
      patch(plain, { dtype: 'torch.float32' }),
      /dtype must be one of float32, float16, bfloat16, got "torch\.float32"/,
    ],
    [
      'a negative dim',
      patch(plain, { shape: [5, -13] }),
      /shape must be a list of non-negative integers, got \[5,-13\]/,
    ],
    [
      'a null shape',
      patch(plain, { shape: null }),
      /shape must be a list of non-negative integers, got null/,
    ],
    [
      'a shape the weight does not fit',
      patch(plain, { shape: [5, 14] }),
      /'m\.weight': shape must be \[35, 1\], got \[33, 1\]/,
    ],
    [
      'nested_dtype float16',
      patch(nested, { nested_dtype: 'float16' }),
      /nested_dtype must be 'float32', got "float16"/,
    ],
    [
      'nested_offset as a string',
      patch(nested, { nested_offset: '0.5' }),
      /nested_offset must be a number, got "0\.5"/,
    ],
    [
      'nested_blocksize 0',
      patch(nested, { nested_blocksize: 0 }),
      /nested_blocksize must be a power of two from 32 to 4096, got 0/,
    ],
    [
      'no nested_offset',
      patch(nested, { nested_offset: undefined }),
      /key 'nested_offset' is missing \(the weight is nested\)/,
    ],
  ];
  for (const [what, make, message] of cases) {
    it(`fromBnbTensors rejects ${what}`, async () => {
      const entries = await make();
      const err = await fromBnbTensors(P, entries).catch((e) => e);
      expect(err).toBeInstanceOf(QuantError);
      expect(err.message).toMatch(message);
    });
  }

  it('bnbTensors rejects int4 and inconsistent tensors', () => {
    const q = quantize('nf4', 32, false, [5, 13]);
    const d = quantize('nf4', 32, true, [5, 13]);
    const bad: [Quantized4, RegExp, object?][] = [
      [
        { ...q, type: 'int4' },
        /bnbTensors\('w'\): type must be 'nf4' or 'fp4' \(the types bitsandbytes serialises\), got "int4"/,
      ],
      [{ ...q, packed: q.packed.subarray(1) }, /q\.packed must hold 33 values, got 32/],
      [{ ...q, absmax: q.absmax!.subarray(1) }, /q\.absmax must hold 3 values, got 2/],
      [{ ...q, absmax: undefined }, /has neither absmax nor nested absmax/],
      [{ ...d, absmax: q.absmax }, /has both absmax and nested/],
      [
        { ...d, nested: { ...d.nested!, inner: { ...d.nested!.inner, code: 'linear' } } },
        /nested\.inner\.code must be 'dynamic'.*got "linear"/,
      ],
      [{ ...q, blockSize: 48 }, /q\.blockSize must be a power of two from 32 to 4096, got 48/],
      [q, /dtype must be one of float32, float16, bfloat16, got "float64"/, { dtype: 'float64' }],
    ];
    for (const [x, message, options] of bad) expect(() => bnbTensors('w', x, options)).toThrow(message);
    expect(() => bnbTensors('w', { ...q, type: 'int4' })).toThrow(QuantError);
  });

  it('writeBnbCheckpoint rejects names that would not read back', async () => {
    const q = quantize('fp4', 64, false, [4, 16]);
    await expect(writeBnbCheckpoint({ 'a.weight': q, 'a.weight.x': q }, {})).rejects.toThrow(
      /quantized 'a\.weight\.x' lies under quantized 'a\.weight'; names must not nest/,
    );
    await expect(writeBnbCheckpoint({ 'a.weight': q }, { 'a.weight.SCB': f32([1]) })).rejects.toThrow(
      /unquantized 'a\.weight\.SCB' would read back as part of quantized 'a\.weight'/,
    );
    await expect(writeBnbCheckpoint({}, { 'b.quant_state.bitsandbytes__nf4': u8([1]) })).rejects.toThrow(
      /unquantized 'b\.quant_state\.bitsandbytes__nf4' is named like a bitsandbytes quant_state entry/,
    );
  });

  it('readBnbCheckpoint checks how each part is stored and passes on safetensors errors', async () => {
    const t = plain();
    const absmaxF16 = await writeSafetensors(t, undefined, { [`${P}.absmax`]: 'F16' });
    await expect(readBnbCheckpoint(absmaxF16)).rejects.toThrow(
      /'m\.weight\.absmax': stored as F16, bitsandbytes writes F32 or U8/,
    );
    // quant_storage: the bytes must fill whole elements of the storage dtype, in bitsandbytes' [k, 1].
    const f16 = await writeSafetensors(t, undefined, { [P]: 'F16' });
    await expect(readBnbCheckpoint(f16)).rejects.toThrow(
      /'m\.weight': 65 codes take 33 bytes, which F16 elements of 2 bytes cannot hold exactly/,
    );
    const even = bnbTensors(P, quantize('nf4', 32, false, [8, 8]));
    await expect(readBnbCheckpoint(await writeSafetensors(even, undefined, { [P]: 'F32' }))).rejects.toThrow(
      /'m\.weight': shape must be \[8, 1\] \(32 bytes as F32\), got \[32, 1\]/,
    );
    await expect(readBnbCheckpoint(await writeSafetensors(even, undefined, { [P]: 'I32' }))).rejects.toThrow(
      /'m\.weight': stored as I32, bitsandbytes writes U8, F16, BF16 or F32/,
    );
    const ok = await writeBnbCheckpoint({ [P]: quantize('nf4', 32, false, [5, 13]) }, {});
    await expect(readBnbCheckpoint(ok.subarray(0, ok.length - 1))).rejects.toThrow(SafetensorsError);
  });
});

describe('fuzz', () => {
  const POOL: unknown[] = [
    null,
    -1,
    0,
    1.5,
    32,
    64,
    256,
    4096,
    8192,
    2 ** 53,
    1e300,
    '64',
    'nf4',
    'fp4',
    'int4',
    'float32',
    'bfloat16',
    'float64',
    true,
    {},
    [],
    [5, 13],
    [13, 5],
    [65],
    [4, 16],
    [64],
    [1, 65],
    [-5, 13],
    [0.5],
  ];
  const KEYS = [
    'quant_type',
    'blocksize',
    'dtype',
    'shape',
    'nested_blocksize',
    'nested_dtype',
    'nested_offset',
    'x',
  ];
  const expected = (e: unknown) => e instanceof QuantError || e instanceof SafetensorsError;

  it('either round-trips or throws QuantError / SafetensorsError on 3000 mutated checkpoints', async () => {
    const quantized = {
      'a.weight': quantize('nf4', 32, true, [5, 13], 3),
      'b.weight': quantize('fp4', 64, false, [4, 16], 4),
    };
    const base = await writeBnbCheckpoint(quantized, { 'a.bias': f32([1, 2, 3, 4, 5]) });
    const parts = readSafetensors(base, { backend: T.cpuBackend });
    const raw = Object.fromEntries(
      await Promise.all(
        Object.entries(parts).map(
          async ([k, t]): Promise<[string, { data: T.TypedArray; shape: number[]; dtype: T.DType }]> => [
            k,
            { data: await t.data(), shape: [...t.shape], dtype: t.dtype },
          ],
        ),
      ),
    );
    const names = Object.keys(raw);
    const tally = { ok: 0, QuantError: 0, SafetensorsError: 0 };
    for (let i = 0; i < 3000; i++) {
      const r = rng(i);
      const pick = <X>(xs: readonly X[]): X => xs[Math.floor(r() * xs.length)];
      let bytes: Uint8Array;
      const entries = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, { ...v }]));
      if (i % 3 === 0) {
        // The JSON state: keys dropped, added or set to junk, or the text itself damaged.
        const key = pick(names.filter((k) => k.includes('.quant_state.')));
        let json = new TextDecoder().decode(entries[key].data as Uint8Array);
        const s = JSON.parse(json);
        for (let n = 1 + Math.floor(r() * 3); n > 0; n--) {
          if (r() < 0.3) delete s[pick(KEYS)];
          else s[pick(KEYS)] = pick(POOL);
        }
        json = JSON.stringify(s);
        let b = new TextEncoder().encode(json);
        if (r() < 0.25) b = b.subarray(0, Math.floor(r() * b.length));
        else if (r() < 0.15) b = Uint8Array.from(b, (c) => (r() < 0.05 ? Math.floor(r() * 256) : c));
        entries[key] = { data: b, shape: [b.length], dtype: 'u8' };
      } else if (i % 3 === 1) {
        // Tensors: reshaped, resized, retyped, dropped or renamed.
        for (let n = 1 + Math.floor(r() * 2); n > 0; n--) {
          const key = pick(Object.keys(entries));
          const e = entries[key];
          const len = e.data.length;
          const op = Math.floor(r() * 6);
          if (op === 0) e.shape = pick([[len], [len, 1], [1, len], [len, 1, 1]]);
          else if (op === 1) {
            const m = Math.max(0, len + pick([-2, -1, 1, 2, 64]));
            e.data = Float32Array.from({ length: m }, (_, j) => e.data[j % Math.max(len, 1)] ?? 0);
            if (e.dtype === 'u8') e.data = Uint8Array.from(e.data);
            e.shape = [m];
          } else if (op === 2) {
            e.dtype = e.dtype === 'u8' ? 'f32' : 'u8';
            e.data = e.dtype === 'u8' ? Uint8Array.from(e.data, (v) => v & 255) : Float32Array.from(e.data);
          } else if (op === 3) delete entries[key];
          else if (op === 4) {
            delete entries[key];
            entries[
              key.replace(/nf4$|fp4$|absmax$|weight$/, (m) => pick(['fp4', 'nf4', 'int4', `${m}2`, 'SCB']))
            ] = e;
          } else if (len > 0) {
            e.data = e.data.slice();
            e.data[Math.floor(r() * len)] = pick([Number.NaN, -1, 300, 1e30, 0]);
          }
        }
      }
      if (i % 3 === 2) {
        // Bytes: flipped anywhere (header included) or the file cut short.
        bytes = base.slice();
        if (r() < 0.3) bytes = bytes.subarray(0, Math.floor(r() * bytes.length));
        else
          for (let n = 1 + Math.floor(r() * 4); n > 0; n--)
            bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
      } else {
        const tensors = Object.fromEntries(
          Object.entries(entries).map(([k, e]) => [
            k,
            T.tensor(e.data, { shape: e.shape, dtype: e.dtype, backend: T.cpuBackend }),
          ]),
        );
        bytes = await writeSafetensors(
          tensors,
          undefined,
          r() < 0.1 ? { 'a.weight.nested_absmax': 'F16' } : {},
        );
      }
      try {
        const got = await readBnbCheckpoint(bytes);
        const again = await readBnbCheckpoint(await writeBnbCheckpoint(got.quantized, got.other, got));
        expect(again.quantized, `case ${i}`).toEqual(got.quantized);
        expect(again.dtype, `case ${i}`).toEqual(got.dtype);
        tally.ok++;
      } catch (e) {
        if (!expected(e)) throw new Error(`case ${i}: ${(e as Error)?.stack ?? e}`);
        tally[(e as Error).name as 'QuantError' | 'SafetensorsError']++;
      }
    }
    // Every kind of outcome happens, so the mutations reach past the first check.
    expect(tally.ok).toBeGreaterThan(100);
    expect(tally.QuantError).toBeGreaterThan(500);
    expect(tally.SafetensorsError).toBeGreaterThan(100);
  }, 60_000);
});
