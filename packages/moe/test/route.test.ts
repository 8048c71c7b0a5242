// Seeing the routing: per-layer statistics of an MoECausalLM, the SVG heatmap, and the shipped model.
import * as T from '@tessera/tensor';
import { Generator } from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import {
  expertColor,
  layerStats,
  MoECausalLM,
  MoEError,
  routingHeatmapSvg,
  SwitchRouter,
  tinyMoEModel,
} from '../src/index.js';
import { backends } from './helpers.js';

// Moby-Dick's last paragraph before the Epilogue (public domain): held out from the shipped model's
// training (the script trains on the novel's first 98% and the Epilogue is in the last 2%).
const TEXT =
  'Now small fowls flew screaming over the yet yawning gulf; a sullen white surf beat against its ' +
  'steep sides; then all collapsed, and the great shroud of the sea rolled on as it rolled five ' +
  'thousand years ago.';

const cells = (svg: string) =>
  [...svg.matchAll(/<rect class="cell" data-layer="(\d+)" data-expert="(\d+)"[^>]* fill="([^"]+)"/g)].map(
    (m) => ({ layer: Number(m[1]), expert: Number(m[2]), fill: m[3] }),
  );

describe('routingHeatmapSvg', () => {
  const bytes = new TextEncoder().encode('a<b & "c"\'d');
  const rows = [Int32Array.from(bytes, (_, i) => i % 3), Int32Array.from(bytes, (_, i) => (i * 2) % 3)];

  it('draws one cell per byte and layer, coloured by its expert, with a legend of every expert', () => {
    const svg = routingHeatmapSvg({ bytes, rows, numExperts: 3 });
    const got = cells(svg);
    expect(got).toHaveLength(2 * bytes.length);
    for (const [r, row] of rows.entries())
      expect(got.filter((c) => c.layer === r).map((c) => c.expert)).toEqual([...row]);
    for (const c of got) expect(c.fill).toBe(expertColor(c.expert, 3));
    const swatches = [...svg.matchAll(/<rect class="swatch"[^>]* fill="([^"]+)"/g)].map((m) => m[1]);
    expect(swatches).toEqual([0, 1, 2].map((e) => expertColor(e, 3)));
    expect(new Set(swatches).size).toBe(3);
    expect(svg).toContain('>layer 0</text>');
    expect(svg).toContain('>layer 1</text>');
    expect(routingHeatmapSvg({ bytes, rows, numExperts: 3 })).toBe(svg); // deterministic
  });

  it('escapes the text, its labels and title, and wraps long texts into blocks', () => {
    const svg = routingHeatmapSvg({
      bytes,
      rows,
      numExperts: 3,
      rowLabels: ['<L0>', 'L&1'],
      title: 'a "title" <b>',
    });
    const chars = [...svg.matchAll(/<text class="char"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(chars).toEqual(['a', '&lt;', 'b', '␣', '&amp;', '␣', '&quot;', 'c', '&quot;', '&#39;', 'd']);
    expect(svg).toContain('>&lt;L0&gt;</text>');
    expect(svg).toContain('>L&amp;1</text>');
    expect(svg).toContain('a &quot;title&quot; &lt;b&gt;');
    expect(svg).not.toMatch(/<b>|<L0>/);
    const long = new Uint8Array(70).fill(120);
    const wrapped = routingHeatmapSvg({ bytes: long, rows: [new Int32Array(70)], numExperts: 12 });
    expect(wrapped.match(/<g class="block">/g)).toHaveLength(2);
    expect(cells(wrapped)).toHaveLength(70);
    const colors = Array.from({ length: 12 }, (_, e) => expertColor(e, 12));
    expect(new Set(colors).size).toBe(12); // past the 10-colour palette, still one colour per expert
  });

  it('rejects rows that do not fit the text or the experts, naming them', () => {
    const bad = (o: Partial<Parameters<typeof routingHeatmapSvg>[0]>) => () =>
      routingHeatmapSvg({ bytes, rows, numExperts: 3, ...o });
    expect(bad({ rows: [new Int32Array(3)] })).toThrow(
      new MoEError('routingHeatmapSvg: rows[0] must have one expert per byte (11), got 3'),
    );
    expect(bad({ numExperts: 2 })).toThrow(/rows\[0\]\[2\] must be an expert in \[0, 2\), got 2/);
    expect(bad({ rows: [] })).toThrow(MoEError);
    expect(bad({ rowLabels: ['x'] })).toThrow(/rowLabels must have one label per row \(2\), got 1/);
    expect(bad({ bytesPerRow: 0 })).toThrow(/bytesPerRow must be an integer in \[1, /);
  });
});

describe.each(await backends())('layerStats on %s', (_, backend) => {
  const config = {
    vocabSize: 64,
    dim: 16,
    layers: 3,
    heads: 2,
    maxSeq: 32,
    numExperts: 4,
    k: 2,
    sparseStep: 1,
  };
  const ids = (B: number, S: number) =>
    T.tensor(
      Array.from({ length: B * S }, (_, i) => (i * 7 + 3) % 64),
      { shape: [B, S], dtype: 'i32', backend },
    );

  it('counts k choices per token in every sparse layer, and top-1 is the first choice', async () => {
    const model = new MoECausalLM(
      { ...config, sparseStep: 2, layers: 4 },
      { backend, generator: new Generator(3) },
    );
    const x = ids(2, 12);
    const report = await layerStats(model, x);
    expect(report.layers.map((l) => l.layer)).toEqual([1, 3]); // layers 0 and 2 are dense
    const { assignments } = T.noGrad(() => model.forwardWithAux(x));
    for (const l of report.layers) {
      expect(l.tokensPerExpert.reduce((s, v) => s + v, 0)).toBe(2 * 12 * 2); // tokens · k
      expect(l.dropRate).toBe(0);
      expect(l.imbalance).toBeGreaterThanOrEqual(1);
      expect(l.entropy).toBeGreaterThan(0);
      expect(l.entropy).toBeLessThanOrEqual(Math.log(4) + 1e-5);
      const chosen = await assignments[l.layer]!.experts.data();
      const counts = [0, 1, 2, 3].map((e) => [...chosen].filter((c) => c === e).length);
      expect(l.tokensPerExpert).toEqual(counts);
      const first = await T.narrow(assignments[l.layer]!.experts, 1, 0, 1).data();
      expect([...l.top1]).toEqual([...first]);
    }
    // An untrained model over 64 ids: close to uniform, about log2(64) = 6 bits.
    expect(report.bitsPerToken).toBeGreaterThan(5);
    expect(report.bitsPerToken).toBeLessThan(7);
    model.dispose();
  });

  it('with capacity drops, kept choices are tokens · k · (1 − drop rate)', async () => {
    const model = new MoECausalLM(
      { ...config, k: 1 },
      {
        backend,
        generator: new Generator(5),
        router: (_, o) => new SwitchRouter(16, 4, { ...o, capacityFactor: 0.5 }),
        kind: 'capacity',
      },
    );
    const report = await layerStats(model, ids(1, 24));
    expect(report.layers).toHaveLength(3);
    for (const l of report.layers) {
      const kept = l.tokensPerExpert.reduce((s, v) => s + v, 0);
      expect(kept).toBeLessThanOrEqual(4 * 3); // 4 experts × ceil(24 / 4 · 0.5) slots
      expect(kept).toBeCloseTo(24 * (1 - l.dropRate), 9);
      expect(l.dropRate).toBeGreaterThan(0);
    }
    model.dispose();
  });

  it('rejects ids that are not i32 [batch, seq], before running the model', async () => {
    const model = new MoECausalLM(config, { backend, generator: new Generator(3) });
    const flat = T.tensor([1, 2, 3], { dtype: 'i32', backend });
    await expect(layerStats(model, flat)).rejects.toThrow(
      new MoEError('layerStats: ids must be i32 [batch, seq ≥ 1], got i32[3]'),
    );
    const floats = T.tensor([[1, 2]], { backend });
    await expect(layerStats(model, floats)).rejects.toThrow(/got f32\[1, 2\]/);
    model.dispose();
  });
});

describe.each(await backends())('tinyMoEModel on %s', (_, backend) => {
  it('loads the shipped model, which predicts held-out English far better than uniform bytes', async () => {
    const model = await tinyMoEModel({ backend });
    expect(model.config).toMatchObject({ vocabSize: 256, layers: 2, numExperts: 4, k: 2 });
    const bytes = new TextEncoder().encode(TEXT);
    const ids = T.tensor(Int32Array.from(bytes), { shape: [1, bytes.length], dtype: 'i32', backend });
    const report = await layerStats(model, ids);
    // Uniform is 8 bits per byte; the script measures about 3 on held-out text after 300 steps.
    expect(report.bitsPerToken).toBeLessThan(3.6);
    expect(report.layers).toHaveLength(2);
    for (const l of report.layers) {
      expect(l.top1).toHaveLength(bytes.length);
      expect(l.tokensPerExpert.reduce((s, v) => s + v, 0)).toBe(bytes.length * 2);
      // The load-balancing loss kept every expert in use.
      expect(Math.min(...l.tokensPerExpert)).toBeGreaterThan(0);
    }
    model.dispose();
  });
});

it('tinyMoEModel reports a failed fetch with the URL and the status', async () => {
  // Port 9 (discard) on this machine: nothing listens, the connection is refused.
  await expect(tinyMoEModel({ url: 'http://127.0.0.1:9/moe-tiny.safetensors' })).rejects.toThrow(
    /^tinyMoEModel: fetching http:\/\/127\.0\.0\.1:9\/moe-tiny\.safetensors failed: /,
  );
});
