// The demo's progress: a plain line every few seconds where there is no terminal, in bits per
// byte, and a shown share that never moves back (the run is sized after its first chunk).
import { expect, it } from 'vitest';
import { Progress } from '../src/progress.js';

function plain(everySeconds = 5) {
  const lines: string[] = [];
  let t = 0;
  const progress = new Progress({ isTTY: false, write: (s: string) => lines.push(s) }, everySeconds, () => t);
  return {
    lines,
    progress,
    advance: (seconds: number) => {
      t += seconds;
    },
  };
}

it('prints a plain line at most every 5 s when the output is not a terminal, and the last one', () => {
  const { lines, progress, advance } = plain();
  expect(lines).toEqual(['training: a progress line every few seconds\n']);
  const fields = { step: 1, bitsPerByte: 8.02, bytesPerSecond: 12_345.6 };
  progress.update(0.01, fields);
  expect(lines[1]).toBe('training: 1% | step 1 | train 8.020 bits/byte | 12,346 B/s\n');
  for (let i = 0; i < 9; i++) {
    advance(0.5); // 4.5 s in all: no line yet
    progress.update(0.02, fields);
  }
  expect(lines).toHaveLength(2);
  advance(0.5);
  progress.update(0.5, { ...fields, step: 100, total: 200 });
  expect(lines[2]).toBe('training: 50% | step 100/200 | train 8.020 bits/byte | 12,346 B/s\n');
  advance(0.1);
  progress.update(1, { ...fields, step: 200, total: 200 }); // the end is always shown
  expect(lines[3]).toMatch(/^training: 100% \| step 200\/200 /);
});

it('never shows less than it has shown: a smaller share after sizing the run keeps the larger', () => {
  const { lines, progress, advance } = plain(0);
  const fields = { step: 25, bitsPerByte: 4, bytesPerSecond: 1 };
  for (const [fraction, shown] of [
    [0.3, 30],
    [0.12, 30], // 25 of 200 steps once the run is sized: the old bar's fall from 100% to 12%
    [0.35, 35],
    [1.2, 100],
  ]) {
    advance(1);
    progress.update(fraction, fields);
    expect(lines.at(-1)).toMatch(new RegExp(`^training: ${shown}% `));
  }
});
