import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import {
  floatToBf16,
  floatToHalf,
  halfToFloat,
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsFile,
  readSafetensorsMetadata,
  SafetensorsError,
  writeSafetensors,
  writeSafetensorsFile,
} from '../src/index.js';

/** A file built by hand: header JSON padded to 8 bytes, then little-endian data. */
function handBuilt(header: object, data: Uint8Array): Uint8Array {
  let json = JSON.stringify(header);
  while ((json.length + 8) % 8) json += ' ';
  const out = new Uint8Array(8 + json.length + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('reads a hand-built file with metadata and padding', async () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3, 4.5]).buffer);
    const file = handBuilt(
      { __metadata__: { format: 'pt' }, w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } },
      data,
    );
    const { w } = readSafetensors(file);
    expect(await w.toArray()).toEqual([
      [1, 2],
      [3, 4.5],
    ]);
    expect(readSafetensorsMetadata(file)).toEqual({ format: 'pt' });
  });

  it('converts half and bfloat16 exactly, rounding to nearest even on write', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(65504)).toBe(0x7bff);
    expect(floatToHalf(1e6)).toBe(0x7c00);
    expect(floatToHalf(2 ** -24)).toBe(1);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToBf16(1)).toBe(0x3f80);
    expect(floatToBf16(-2)).toBe(0xc000);
    for (let h = 0; h < 0x7c00; h += 37) expect(floatToHalf(halfToFloat(h))).toBe(h);
  });

  it('round-trips every dtype in memory and through files, streaming only requested tensors', async () => {
    const tensors = {
      f: T.tensor([
        [1.5, -2.25],
        [3, 1e-3],
      ]),
      i: T.tensor([1, -7, 2 ** 30], { dtype: 'i32' }),
      u: T.tensor([5, 4_000_000_000], { dtype: 'u32' }),
      b: T.tensor([0, 1, 255], { dtype: 'u8' }),
      e: T.zeros([0, 3]),
    };
    const bytes = await writeSafetensors(tensors, { note: 'x' }, { f: 'F16' });
    const back = readSafetensors(bytes, { names: ['f', 'i', 'b', 'e'] });
    expect(await back.f.toArray()).toEqual([
      [1.5, -2.25],
      [3, halfToFloat(floatToHalf(1e-3))],
    ]);
    expect(await back.i.toArray()).toEqual([1, -7, 2 ** 30]);
    expect(await back.b.toArray()).toEqual([0, 1, 255]);
    expect(back.e.shape).toEqual([0, 3]);
    // u32 is written as I64; 4e9 does not fit back into i32.
    expect(() => readSafetensors(bytes, { names: ['u'] })).toThrow(
      /tensor 'u': I64 value 4000000000 at element 1 does not fit in i32/,
    );
    // f16 tensors are written as F16 (their values exactly) and read as f32; bool is BOOL both ways.
    const half = T.tensor([0.1, 70000, -0], { dtype: 'f16' });
    const flags = T.gt(T.tensor([1, -1, 2]), 0);
    const st = await writeSafetensors({ half, flags });
    expect(Object.values(parseSafetensorsHeader(st).entries).map((e) => e.dtype)).toEqual(['BOOL', 'F16']);
    const hf = readSafetensors(st);
    expect([...(await hf.half.data())]).toEqual([...(await half.data())]);
    expect(hf.flags.dtype).toBe('bool');
    expect([...(await hf.flags.data())]).toEqual([1, 0, 1]);
    const bf = readSafetensors(await writeSafetensors({ f: tensors.f }, undefined, { f: 'BF16' }));
    expect(await bf.f.toArray()).toEqual([
      [1.5, -2.25],
      [3, 0.00099945068359375],
    ]);

    const path = join(mkdtempSync(join(tmpdir(), 'tessera-st-')), 'w.safetensors');
    await writeSafetensorsFile(path, { f: tensors.f, i: tensors.i });
    const some = await readSafetensorsFile(path, { names: ['i'] });
    expect(Object.keys(some)).toEqual(['i']);
    expect(await some.i.toArray()).toEqual([1, -7, 2 ** 30]);
    const all = await readSafetensorsFile(path);
    expect(await all.f.toArray()).toEqual([
      [1.5, -2.25],
      [3, Math.fround(1e-3)],
    ]);
    await expect(readSafetensorsFile(path, { names: ['nope'] })).rejects.toThrow(/no tensor named 'nope'/);
  });

  it('names what is wrong in malformed headers', () => {
    const data = new Uint8Array(16);
    const bad = (h: object) => () => readSafetensors(handBuilt(h, data));
    expect(bad({ w: { dtype: 'F99', shape: [4], data_offsets: [0, 16] } })).toThrow(
      /tensor 'w': dtype "F99" is not one of/,
    );
    expect(bad({ w: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } })).toThrow(
      /shape \[-4\] must be a list of non-negative integers/,
    );
    expect(bad({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } })).toThrow(
      /F32\[3\] needs 12 bytes, data_offsets give 16/,
    );
    expect(bad({ w: { dtype: 'F32', shape: [4], data_offsets: [16, 0] } })).toThrow(/must be \[begin, end\]/);
    expect(bad({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } })).toThrow(
      /starts at byte 8, expected 0/,
    );
    expect(bad({ __metadata__: { a: 1 } })).toThrow(/__metadata__.a must be a string/);
    expect(() => readSafetensors(new Uint8Array(5))).toThrow(/shorter than the 8-byte header length/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1000n, true);
    expect(() => readSafetensors(huge)).toThrow(/runs past the end of a 16-byte file/);
  });

  it('fuzz: 3,000 mutated files each parse consistently or throw SafetensorsError', async () => {
    const base = await writeSafetensors(
      {
        a: T.tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        b: T.tensor([7, 8], { dtype: 'i32' }),
        c: T.tensor([1, 0], { dtype: 'u8' }),
      },
      { k: 'v' },
      { a: 'BF16' },
    );
    const headerEnd = 8 + Number(new DataView(base.buffer).getBigUint64(0, true));
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      // The high bits: an LCG's low bits cycle with a short period (seed % 4 never gave 1).
      return Math.floor(((seed >>> 8) / 2 ** 24) * n);
    };
    const edits = ['"F32"', '"I64"', '-1', '1e308', '[]', '{}', 'null', '"x"', '99999999', '0', ','];
    // Outcomes per mutation kind: [parsed, rejected].
    const kinds = ['length', 'header byte', 'truncation', 'JSON token'] as const;
    const tally = kinds.map(() => [0, 0]);
    for (let trial = 0; trial < 3000; trial++) {
      let file = base.slice();
      const kind = rand(4);
      const truncatedInData = kind === 2;
      if (kind === 0)
        file[rand(8)] ^= 1 << rand(8); // the length
      else if (kind === 1)
        file[8 + rand(headerEnd - 8)] ^= 1 << rand(8); // a header byte
      else if (kind === 2)
        file = file.slice(0, rand(file.byteLength)); // truncation: any cut loses bytes a tensor or the header needs
      else {
        // Replace a JSON token of the header with another, keeping the length field consistent.
        const text = new TextDecoder().decode(file.subarray(8, headerEnd));
        const tokens = text.match(/"[^"]*"|-?\d+(\.\d+)?|[[\]{},:]/g) ?? [];
        const target = tokens[rand(tokens.length)];
        const edited = text.replace(target, edits[rand(edits.length)]);
        const head = new TextEncoder().encode(edited);
        const out = new Uint8Array(8 + head.byteLength + (file.byteLength - headerEnd));
        new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
        out.set(head, 8);
        out.set(file.subarray(headerEnd), 8 + head.byteLength);
        file = out;
      }
      try {
        const got = readSafetensors(file);
        for (const t of Object.values(got)) {
          expect((await t.data()).length).toBe(t.shape.reduce((p, q) => p * q, 1));
          t.dispose();
        }
        if (truncatedInData) throw new Error(`trial ${trial}: a file cut to ${file.byteLength} bytes parsed`);
        tally[kind][0]++;
      } catch (e) {
        if (!(e instanceof SafetensorsError))
          throw new Error(`trial ${trial} (${kinds[kind]}): ${(e as Error).name}: ${(e as Error).message}`);
        tally[kind][1]++;
      }
    }
    const byKind = Object.fromEntries(kinds.map((k, i) => [k, tally[i]]));
    // Every kind of damage is caught, and header mutations that leave a valid file still parse
    // (43 of ~1,500 with this seed: a flipped letter of metadata, a renamed tensor): a reader that
    // refused everything, or accepted everything, fails here.
    for (const k of kinds) expect(byKind[k][1], `${k} rejected`).toBeGreaterThan(100);
    expect(byKind.truncation[0]).toBe(0);
    expect(
      byKind['header byte'][0] + byKind['JSON token'][0],
      'mutated files that still parse',
    ).toBeGreaterThan(20);
  });
});
