import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import {
  AdamW,
  ByteLoader,
  bitsPerByte,
  CausalLM,
  loadCheckpoint,
  saveCheckpoint,
  splitBytes,
  trainSteps,
} from '../src/index.js';
import { backends } from './helpers.js';

const text = new TextEncoder().encode(
  'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, '.repeat(
    20,
  ),
);
const config = { vocabSize: 256, dim: 16, layers: 1, heads: 2, maxSeq: 32 };
const list = await backends();

/** A model, optimizer and loader, all seeded, on `backend`. */
function setup(backend: T.Backend) {
  const model = new CausalLM(config, { backend, generator: new T.Generator(11) });
  const optimizer = new AdamW(model.parameters(), { lr: 3e-3 });
  const loader = new ByteLoader(splitBytes(text).train, 4, 16, { seed: 3, backend });
  return { model, optimizer, loader };
}

describe('byte data', () => {
  it('tiles windows, shuffles by seed, and resumes from its state', async () => {
    const a = new ByteLoader(text, 2, 8, { seed: 1 });
    const b = new ByteLoader(text, 2, 8, { seed: 1 });
    const first = await a.next().toArray();
    expect(await b.next().toArray()).toEqual(first);
    const row = (first as number[][])[0];
    const start = text.indexOf(row[0]);
    expect(start).toBeGreaterThanOrEqual(0);
    const saved = a.state;
    const next = await a.next().toArray();
    const c = new ByteLoader(text, 2, 8, { seed: 1 });
    c.state = saved;
    expect(await c.next().toArray()).toEqual(next);
    const { train, test } = splitBytes(text, 0.25);
    expect(train.byteLength + test.byteLength).toBe(text.byteLength);
    expect(() => new ByteLoader(text.subarray(0, 10), 4, 8)).toThrow(/fewer than a batch of 4/);
  });
});

describe.each(list)('training on %s', (_name, backend) => {
  it('bits per byte is 8 for a model that predicts uniformly', async () => {
    const { model } = setup(backend);
    T.noGrad(() => model.lm_head.weight.assign(T.zeros([256, 16], { backend })));
    expect(await bitsPerByte(model, text, { seqLen: 16, maxWindows: 6, backend })).toBeCloseTo(8, 5);
    model.dispose();
  });

  it('resuming from a checkpoint continues the same loss curve', async () => {
    const straight = setup(backend);
    const all = await trainSteps(straight.model, straight.optimizer, straight.loader, { steps: 6 });
    expect(all[5]).toBeLessThan(all[0]);

    const first = setup(backend);
    const reports: number[] = [];
    const head = await trainSteps(first.model, first.optimizer, first.loader, {
      steps: 3,
      onStep: (r) => void reports.push(r.step),
    });
    expect(reports).toEqual([1, 2, 3]);
    const path = join(mkdtempSync(join(tmpdir(), 'tessera-ckpt-')), 'ckpt.safetensors');
    await saveCheckpoint(path, first.model, first.optimizer, { loader: first.loader.state, step: 3 });

    const resumed = setup(backend);
    const info = await loadCheckpoint(path, resumed.model, resumed.optimizer);
    resumed.loader.state = info.loader!;
    expect(info.step).toBe(3);
    const tail = await trainSteps(resumed.model, resumed.optimizer, resumed.loader, { steps: 3 });
    const curve = [...head, ...tail];
    for (const [i, l] of curve.entries()) expect(Math.abs(l - all[i])).toBeLessThan(1e-6);
    for (const s of [straight, first, resumed]) {
      s.model.dispose();
      s.optimizer.dispose();
    }
  });
});

describe('CPU and WebGPU agree', async () => {
  const gpu = list.find(([n]) => n === 'webgpu')?.[1];
  it.skipIf(!gpu)(
    '20 training steps from the same init and data give the same losses (rtol 1e-3)',
    async () => {
      const run = async (backend: T.Backend) => {
        const s = setup(backend);
        const losses = await trainSteps(s.model, s.optimizer, s.loader, { steps: 20, clip: 1 });
        s.model.dispose();
        s.optimizer.dispose();
        return losses;
      };
      const cpu = await run(T.cpuBackend);
      const webgpu = await run(gpu!);
      // f32 sums in different orders (tree reductions, tiled matmul) drift slowly through Adam.
      for (const [i, l] of cpu.entries()) expect(Math.abs(webgpu[i] - l) / l).toBeLessThan(1e-3);
      expect(cpu[19]).toBeLessThan(cpu[0]);
    },
  );
});
