// READMEs and documentation speak of the project, not of how its work was organised.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentationFiles, repoRoot } from '../src/markdown.js';

/** Phrases about the work's organisation rather than the project. */
const ORGANISATIONAL = [
  /\bissues? #?\d+/i, // "everything issue 5 asks for"
  /\bsessions?\b/i,
  /\blead engineer\b/i,
  /\b(?:GPU|none|one) (?:was |were )?lent\b/i,
  /\bas (?:those|these|the) packages land\b/i,
];

describe('user-facing text', () => {
  it('catches the phrases it looks for (the patterns match what they should)', () => {
    const hits = (text: string) => ORGANISATIONAL.some((p) => p.test(text));
    expect(hits('everything issue 5 asks for is implemented')).toBe(true);
    expect(hits('`patching/`, … as those packages land')).toBe(true);
    expect(hits('no GPU lent')).toBe(true);
    expect(hits('the two land within a few percent of each other')).toBe(false);
    expect(hits('file and `fetch` helpers')).toBe(false);
  });

  for (const file of documentationFiles()) {
    it(`${file} speaks of the project only`, () => {
      const lines = readFileSync(join(repoRoot, file), 'utf8').split('\n');
      const found = lines.flatMap((line, i) =>
        ORGANISATIONAL.some((p) => p.test(line)) ? [`${file}:${i + 1}: ${line.trim()}`] : [],
      );
      expect(found).toEqual([]);
    });
  }
});
