// `tessera patch` end to end on a temporary file, through the built CLI and the function.
import { execFileSync, spawnSync } from 'node:child_process';
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
  expect(plot.match(/class="patch-start"/g)!.length).toBe(lines[1].split('│').length - 1);
  expect(plot).toContain('<g class="legend">');
});

// About 560 bytes of prose: the CLI patches its first 400 (the default --limit).
const prose =
  'It is a way I have of driving off the spleen and regulating the circulation. Whenever I find ' +
  'myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul; whenever ' +
  'I find myself involuntarily pausing before coffin warehouses, and bringing up the rear of every ' +
  'funeral I meet; and especially whenever my hypos get such an upper hand of me, that it requires a ' +
  'strong moral principle to prevent me from deliberately stepping into the street, and methodically ' +
  "knocking people's hats off - then, I account it high time to get to sea as soon as I can.\n";

it('calibrates θ to mean patch size 4.5 unless --threshold is given, and says which', () => {
  const main = new URL('../dist/main.js', import.meta.url).pathname;
  const long = join(dir, 'prose.txt');
  writeFileSync(long, prose);
  const header = (args: string[]) =>
    execFileSync('node', [main, 'patch', long, '--backend', 'cpu', ...args], { encoding: 'utf8' }).split(
      '\n',
    )[1];
  const calibrated = header([]);
  expect(calibrated).toMatch(/400 bytes \(first 400 of \d+\), \d+ patches/);
  expect(calibrated).toContain('(calibrated to mean patch size 4.5)');
  // θ is the smallest that reaches 4.5: one patch more or less moves the mean of 401 ids by ~0.05,
  // so the mean lies in [4.5, 4.6).
  const mean = Number(calibrated.match(/mean ([\d.]+) bytes/)![1]);
  expect(mean).toBeGreaterThanOrEqual(4.5);
  expect(mean).toBeLessThan(4.6);
  const twice = Number(header(['-m', '9']).match(/mean ([\d.]+) bytes/)![1]);
  expect(twice).toBeGreaterThanOrEqual(9);
  expect(twice).toBeLessThan(9.5); // one patch of ~44 moves the mean by ~0.2
  expect(header(['-t', '1.3354'])).toMatch(/θ = 1\.3354 nats \(given with --threshold\)/);
});

it('prints the backend, and why it fell back from WebGPU', () => {
  const main = new URL('../dist/main.js', import.meta.url).pathname;
  const run = (env: Record<string, string>, backend: string) =>
    execFileSync('node', [main, 'patch', file, '--backend', backend], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\n')[0];
  expect(run({}, 'cpu')).toBe('backend: cpu (CPU (TypedArrays))');
  expect(run({}, 'wasm')).toMatch(/^backend: wasm \(WebAssembly SIMD, /);
  // A Dawn backend that does not exist: 'auto' falls back to WebAssembly and the first line says why.
  expect(run({ TESSERA_DAWN_BACKEND: 'nosuch' }, 'auto')).toMatch(
    /^backend: wasm \(WebAssembly SIMD, [^)]*\); WebGPU unavailable \(No WebGPU adapter: .*Dawn \[backend=nosuch\]/,
  );
});

it('runs as `tessera patch` and reports bad input clearly', () => {
  const main = new URL('../dist/main.js', import.meta.url).pathname;
  const out = execFileSync('node', [main, 'patch', file, '--backend', 'cpu', '-t', '1.5'], {
    encoding: 'utf8',
  });
  expect(out).toMatch(/θ = 1\.5000 nats/);
  const bad = join(dir, 'bad.bin');
  writeFileSync(bad, Uint8Array.from([0x61, 0xff]));
  expect(() => execFileSync('node', [main, 'patch', bad, '--backend', 'cpu'], { stdio: 'pipe' })).toThrow(
    /not valid UTF-8: byte 1/,
  );
  expect(() => execFileSync('node', [main, 'patch', file, '-t', '-1'], { stdio: 'pipe' })).toThrow(
    /--threshold must be a number ≥ 0, got '-1'/,
  );
});

it('runs from the repository root through pnpm, failing with its own message and exit code only', () => {
  const root = new URL('../../../', import.meta.url).pathname;
  const missing = join(dir, 'missing.txt');
  const r = spawnSync('npx', ['-y', 'pnpm@10', 'tessera', 'patch', missing, '--backend', 'cpu'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`tessera: cannot read ${missing}: no such file`);
  expect(r.stdout + r.stderr).not.toMatch(/ELIFECYCLE|ERR_PNPM/);
  // npx starting pnpm, which starts the CLI: 30 s on two idle cores, twice that when they are busy.
}, 150_000);
