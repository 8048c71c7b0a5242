import { expect } from 'vitest';

/**
 * Asserts that `got` matches `want` row by row within |g − w| ≤ atol + rtol·|w| (NaN matches
 * NaN), naming the first row and column that does not.
 */
export function expectRowsClose(
  got: ArrayLike<number>[],
  want: number[][],
  rtol: number,
  atol: number,
  what: string,
): void {
  expect(got.length, `${what}: rows`).toBe(want.length);
  want.forEach((row, r) => {
    expect(got[r].length, `${what}: row ${r} width`).toBe(row.length);
    row.forEach((w, c) => {
      const g = got[r][c];
      const ok = Number.isNaN(w) ? Number.isNaN(g) : Math.abs(g - w) <= atol + rtol * Math.abs(w);
      if (!ok)
        expect.fail(`${what}: row ${r} column ${c} is ${g}, expected ${w} (rtol ${rtol}, atol ${atol})`);
    });
  });
}
