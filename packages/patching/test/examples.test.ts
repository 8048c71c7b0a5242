import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '@tessera/tensor';
import { expect, it } from 'vitest';
import { loadReleased, trainTinyBlt } from '../examples/blt.js';
import { patchText } from '../examples/patch-text.js';

it('the README example patches text into pieces that rebuild it', async () => {
  const text = 'The whale, the whale! Call me Ishmael, and sail about a little.';
  const patches = await patchText(text, T.cpuBackend);
  expect(patches.join('')).toBe(text);
  expect(text.length / patches.length).toBeGreaterThan(3);
});

it('the README example trains a BLT on entropy patches and generates from it', async () => {
  const { losses, sample } = await trainTinyBlt(T.cpuBackend, 20);
  expect(losses[0]).toBeGreaterThan(5);
  expect(losses.at(-1)!).toBeLessThan(losses[0] - 1);
  expect(new TextEncoder().encode(sample).length).toBeGreaterThanOrEqual(1);
});

it('the README example loads a checkpoint directory in the reference format', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'blt-'));
  const fixture = (n: string) => new URL(`./fixtures/${n}`, import.meta.url);
  copyFileSync(fixture('blt_k1.safetensors'), join(dir, 'model.safetensors'));
  const { config } = JSON.parse(readFileSync(fixture('blt_reference.json'), 'utf8')).k1;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const model = await loadReleased(dir, T.cpuBackend);
  expect(model.config.dimLocal).toBe(config.args.dim_local_encoder);
  model.dispose();
});
