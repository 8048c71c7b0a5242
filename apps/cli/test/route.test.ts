// `tessera route` end to end on a temporary file, through the function and the built CLI.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '@tessera/tensor';
import { expect, it } from 'vitest';
import { routeCommand } from '../src/route.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-route-'));
const file = join(dir, 'text.txt');
const TEXT =
  'Call me Ishmael. Some years ago, never mind how long precisely, I thought I would sail about.\n';
writeFileSync(file, TEXT);

it('prints each layer’s routing statistics and writes the heatmap', async () => {
  const svg = join(dir, 'route.svg');
  const lines = await routeCommand(file, { svg, limit: 400 }, T.cpuBackend, () => {});
  const bpb = Number(lines[0].match(/predicts it at ([\d.]+) bits\/byte/)![1]);
  expect(lines[0]).toMatch(/text\.txt: 94 bytes, 4 experts, top-2;/);
  expect(bpb).toBeGreaterThan(0.5);
  expect(bpb).toBeLessThan(4); // uniform bytes are 8
  for (const [i, line] of lines.slice(1, 3).entries()) {
    expect(line).toMatch(
      new RegExp(`^layer ${i}: tokens per expert \\[\\d+, \\d+, \\d+, \\d+\\], dropped 0\\.0%`),
    );
    const counts = line
      .match(/\[([\d, ]+)\]/)![1]
      .split(', ')
      .map(Number);
    expect(counts.reduce((s, v) => s + v, 0)).toBe(94 * 2); // every byte to its two experts
  }
  expect(lines[3]).toBe(`wrote ${svg}`);
  const plot = readFileSync(svg, 'utf8');
  expect(plot.match(/<rect class="cell"/g)).toHaveLength(2 * 94);
  expect(plot.match(/<rect class="swatch"/g)).toHaveLength(4);
});

it('runs as `tessera route`, with --json and a clear error for a missing file', () => {
  const main = new URL('../dist/main.js', import.meta.url).pathname;
  const out = execFileSync('node', [main, 'route', file, '--backend', 'cpu', '--json', '--limit', '50'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const report = JSON.parse(out);
  expect(report).toMatchObject({ bytes: 50, numExperts: 4, k: 2 });
  expect(report.layers.map((l: { layer: number }) => l.layer)).toEqual([0, 1]);
  for (const l of report.layers)
    expect(l.tokensPerExpert.reduce((s: number, v: number) => s + v, 0)).toBe(100);
  const text = execFileSync('node', [main, 'route', file, '--backend', 'cpu'], { encoding: 'utf8' });
  expect(text.split('\n')[0]).toBe('backend: cpu (CPU (TypedArrays))');
  expect(() =>
    execFileSync('node', [main, 'route', join(dir, 'missing.txt'), '--backend', 'cpu'], { stdio: 'pipe' }),
  ).toThrow(/tessera: cannot read .*missing\.txt: no such file/);
  expect(() => execFileSync('node', [main, 'route', file, '--limit', '0'], { stdio: 'pipe' })).toThrow(
    /--limit must be a number ≥ 1, got '0'/,
  );
});
