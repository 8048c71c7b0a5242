// `tessera patch` end to end on a temporary file, through the built CLI and the function.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '@tessera/tensor';
import { expect, it } from 'vitest';
import { patchCommand } from '../src/patch.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
const file = join(dir, 'text.txt');
writeFileSync(
  file,
  'Call me Ishmael. Some years ago, never mind how long precisely, I thought I would sail about.\n',
);

it('prints patches that rebuild the text, a sparkline, and writes the SVG plot', async () => {
  const svg = join(dir, 'plot.svg');
  const lines = await patchCommand(file, { meanSize: 4, svg, limit: 400 }, T.cpuBackend, () => {});
  expect(lines[0]).toMatch(/text\.txt: 94 bytes, \d+ patches, mean (3\.[6-9]|4\.[0-4])\d bytes/);
  expect(lines[1].split('│').join('').replace(/⏎/g, '\n')).toBe(readFileSync(file, 'utf8'));
  expect([...lines[2]]).toHaveLength(94);
  const plot = readFileSync(svg, 'utf8');
  expect(plot.startsWith('<svg')).toBe(true);
  expect(plot.match(/stroke="#c33"/g)!.length).toBe(lines[1].split('│').length - 1);
});

it('runs as `tessera patch` and reports bad input clearly', () => {
  const main = new URL('../dist/main.js', import.meta.url).pathname;
  const out = execFileSync('node', [main, 'patch', file, '--backend', 'cpu', '-t', '1.5'], {
    encoding: 'utf8',
  });
  expect(out).toMatch(/θ = 1\.5000/);
  const bad = join(dir, 'bad.bin');
  writeFileSync(bad, Uint8Array.from([0x61, 0xff]));
  expect(() => execFileSync('node', [main, 'patch', bad, '--backend', 'cpu'], { stdio: 'pipe' })).toThrow(
    /not valid UTF-8: byte 1/,
  );
  expect(() => execFileSync('node', [main, 'patch', file, '-t', '-1'], { stdio: 'pipe' })).toThrow(
    /--threshold must be a number ≥ 0, got '-1'/,
  );
});
