// The browser build (package.json exports without the "node" condition): the same API as the Node
// build, no Node builtin, and file helpers that say what to use instead of failing obscurely.
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { describe, expect, it } from 'vitest';
import type * as NodeBuild from '../src/index.js';

const dist = new URL('../dist/', import.meta.url);
const load = (file: string) =>
  import(/* @vite-ignore */ new URL(file, dist).href) as Promise<typeof NodeBuild>;
const browser = await load('browser.js');
const node = await load('index.js');

describe('the browser build', () => {
  it('exports what the Node build exports', () => {
    expect(Object.keys(browser).sort()).toEqual(Object.keys(node).sort());
  });

  it('imports nothing from Node', () => {
    const source = readFileSync(new URL('browser.js', dist), 'utf8');
    const imported = [...source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((s) => isBuiltin(s))).toEqual([]);
    // The Node build does read files through fs: the check above is not vacuous.
    const nodeSource = readFileSync(new URL('index.js', dist), 'utf8');
    expect([...nodeSource.matchAll(/\bfrom\s*["']([^"']+)["']/g)].some((m) => isBuiltin(m[1]))).toBe(true);
  });

  it('has file helpers that fail naming themselves and what to use in a browser', async () => {
    const calls: [string, () => Promise<unknown>][] = [
      ['readSafetensorsFile', () => browser.readSafetensorsFile('model.safetensors')],
      ['readSafetensorsFileMetadata', () => browser.readSafetensorsFileMetadata('model.safetensors')],
      ['writeSafetensorsFile', () => browser.writeSafetensorsFile('model.safetensors', {})],
      ['writeSafetensorsFile', () => browser.saveCheckpoint('ckpt.safetensors', new browser.Linear(2, 2))],
    ];
    for (const [name, call] of calls) {
      await expect(call()).rejects.toThrow(new RegExp(`^${name} .*Node's fs.*fetchSafetensors\\(url\\)`));
    }
  });
});
