// BltModel against facebookresearch/blt's ByteLatentTransformer, transcribed into PyTorch
// (tools/fixtures/gen_patching_blt.py): the reference's config.json and model.safetensors load,
// and the logits agree. Also: our own save/load, refusals of bad files, a fuzzed config parser.
import { readFileSync } from 'node:fs';
import { readSafetensors, writeSafetensors } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { backends, expectClose } from '../../nn/test/helpers.js';
import { rng } from '../../tensor/test/helpers.js';
import {
  BLT_1B_CONFIG,
  type BltModel,
  BltStream,
  bltConfigFromReference,
  loadBltModel,
  loadReferenceBlt,
  PatchingError,
  resolveBltConfig,
  saveBltModel,
} from '../src/index.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const fx = JSON.parse(fixture('blt_reference.json').toString()) as Record<
  string,
  { config: { args: Record<string, unknown> }; ids: number[][]; patch_lengths: number[][] }
>;
const list = await backends();

/** Patch starts from the reference's zero-padded lengths over S + 1 positions: the last may be S. */
const startsOf = (lengths: number[]) => {
  const out: number[] = [];
  let at = 0;
  for (const l of lengths.filter((n) => n > 0)) {
    out.push(at);
    at += l;
  }
  return out;
};

async function logits(model: BltModel, ids: number[][], starts: number[][], backend: T.Backend) {
  const input = T.tensor(ids, { dtype: 'i32', backend });
  const out = T.noGrad(() => model.forward(input, starts));
  const data = (await out.data()) as Float32Array;
  out.dispose();
  input.dispose();
  return data;
}

describe.each(list)('BLT against the reference (PyTorch) on %s', (_name, backend) => {
  for (const name of Object.keys(fx)) {
    it(`loads the reference's files (${name}) and gives its logits`, async () => {
      const { config, ids, patch_lengths } = fx[name];
      const model = await loadReferenceBlt(fixture(`blt_${name}.safetensors`), config, { backend });
      const expected = (await readSafetensors(
        fixture(`blt_${name}_logits.safetensors`),
      ).logits.data()) as Float32Array;
      const starts = patch_lengths.map(startsOf);
      expect(starts.some((s) => s.at(-1) === ids[0].length)).toBe(true); // a row ends with a finished patch
      expectClose(await logits(model, ids, starts, backend), expected, 1e-4, 1e-4, `${name} logits`);
      // Incremental decoding of row 0 (two documents: EOS, BOS at ids 8 and 9) gives the same logits.
      expect(ids[0].slice(8, 10)).toEqual([2, 1]);
      const S = ids[0].length;
      const stream = new BltStream(model);
      for (let t = 0; t < S; t++) {
        const row = await stream.push(ids[0][t], starts[0].includes(t + 1));
        const at = t * 260;
        expectClose(row, expected.subarray(at, at + 260), 1e-4, 1e-4, `${name} stream position ${t}`);
      }
      stream.dispose();
      // Our own file round-trips, configuration included.
      const again = loadBltModel(await saveBltModel(model), { backend });
      expect(again.config).toEqual(model.config);
      expectClose(await logits(again, ids, starts, backend), expected, 1e-4, 1e-4, `${name} reloaded`);
      again.dispose();
      model.dispose();
    });
  }

  it('refuses unsupported options, foreign tensors and wrong shapes by name', async () => {
    const { config } = fx.k2;
    const weights = fixture('blt_k2.safetensors');
    const withArgs = (patch: Record<string, unknown>) => ({ args: { ...config.args, ...patch } });
    await expect(
      loadReferenceBlt(weights, withArgs({ cross_attn_window_encoder: 64 }), { backend }),
    ).rejects.toThrow(/a cross-attention window is not supported/);
    await expect(loadReferenceBlt(weights, withArgs({ dim_global: 32 }), { backend })).rejects.toThrow(
      /'global_transformer\.[a-z_.0-9]+' has shape \[\d+, 24\], the configuration needs \[\d+, 32\]/,
    );
    await expect(
      loadReferenceBlt(weights, withArgs({ n_layers_local_decoder: 1 }), { backend }),
    ).rejects.toThrow(
      /bltFromReferenceNames|'local_decoder\.(layers|cross_attn_layers)\.1\.[a-z_.]+' is not a parameter of the model/,
    );
    const host = readSafetensors(weights);
    const { 'local_decoder.norm.weight': _dropped, ...rest } = host;
    await expect(loadReferenceBlt(await writeSafetensors(rest), config, { backend })).rejects.toThrow(
      /the weights lack 1 parameter\(s\), first 'local_decoder\.norm\.weight'/,
    );
    const extra = await writeSafetensors({
      ...host,
      'local_encoder.layers.0.attention.wz.weight': host['local_decoder.norm.weight'],
    });
    await expect(loadReferenceBlt(extra, config, { backend })).rejects.toThrow(
      /'local_encoder\.layers\.0\.attention\.wz\.weight' is not a parameter of the reference BLT/,
    );
    for (const t of Object.values(host)) t.dispose();
    expect(() => loadBltModel(weights, { backend })).toThrow(/has no 'tessera_blt_config' metadata/);
  });
});

describe('reference config parsing', () => {
  it('reads the released blt-1b sizes and refuses what it cannot run', () => {
    const c = resolveBltConfig(BLT_1B_CONFIG);
    expect([c.dimLocal, c.dimGlobal, c.encoderLayers, c.globalLayers, c.decoderLayers]).toEqual([
      1024, 2048, 1, 25, 9,
    ]);
    const args = fx.k2.config.args;
    expect(bltConfigFromReference({ args })).toEqual(bltConfigFromReference(args));
    expect(
      bltConfigFromReference({ ...args, encoder_hash_byte_group_size: '3,4,' }).hash?.groupSizes,
    ).toEqual([3, 4]);
    expect(() => bltConfigFromReference({ ...args, cross_attn_decoder: false })).toThrow(
      /cross_attn_encoder\/decoder = false/,
    );
    expect(() => bltConfigFromReference({ ...args, dim_local_decoder: 8 })).toThrow(
      /dim_local_decoder ≠ dim_local_encoder/,
    );
    expect(() => bltConfigFromReference({ ...args, dim_global: '24' })).toThrow(
      /'dim_global' must be a number, got 24/,
    );
  });

  it('survives 3,000 malformed configs: each parses to a checked config or throws PatchingError', () => {
    const base = fx.k2.config.args;
    const keys = Object.keys(base);
    const rand = rng(0x9e3779b9);
    const values = [
      null,
      undefined,
      -1,
      0,
      1,
      2.5,
      3,
      1e9,
      Number.NaN,
      'x',
      '3,4',
      true,
      false,
      [],
      [0],
      {},
      [3, 99],
    ];
    let parsed = 0;
    for (let i = 0; i < 3000; i++) {
      const args: Record<string, unknown> = { ...base };
      for (let m = 0; m < 1 + Math.floor(rand() * 3); m++) {
        const k = keys[Math.floor(rand() * keys.length)];
        if (rand() < 0.2) delete args[k];
        else args[k] = values[Math.floor(rand() * values.length)];
      }
      try {
        resolveBltConfig(bltConfigFromReference(rand() < 0.5 ? { args } : args));
        parsed++;
      } catch (e) {
        if (!(e instanceof PatchingError)) throw new Error(`case ${i} ${JSON.stringify(args)}: ${e}`);
      }
    }
    expect(parsed).toBeGreaterThan(100); // harmless mutations still parse
  });
});
