// The SVG plot stays readable at every length: rows wrap, the shape stays bounded, each row has one
// labelled y axis, and a legend names the lines; the sparkline scales to its values.
import { describe, expect, it } from 'vitest';
import { rng } from '../../tensor/test/helpers.js';
import { entropyPlotSvg, PatchingError, sparkline } from '../src/index.js';

const count = (svg: string, pattern: RegExp) => (svg.match(pattern) ?? []).length;

function plot(n: number, threshold?: number) {
  const r = rng(n + 1);
  const entropies = Float32Array.from({ length: n }, () => r() * 4);
  const bytes = Uint8Array.from({ length: n }, () => 32 + Math.floor(r() * 95));
  const starts = [...Array(n).keys()].filter((i) => i === 0 || entropies[i] > 2.5);
  const svg = entropyPlotSvg({ bytes, entropies, starts, threshold });
  const [width, height] = ['width', 'height'].map((k) =>
    Number(svg.match(new RegExp(`<svg[^>]* ${k}="(\\d+)"`))![1]),
  );
  return { svg, width, height, starts };
}

describe('entropy plot', () => {
  it('wraps long inputs into rows of 64 bytes, each with one y axis labelled with its unit', () => {
    for (const n of [0, 1, 13, 64, 65, 400, 2000]) {
      const { svg, width, height, starts } = plot(n, 2.5);
      const rows = Math.max(1, Math.ceil(n / 64));
      expect(count(svg, /<g class="row">/g), `n = ${n}`).toBe(rows);
      expect(count(svg, /class="y-label"[^>]*>entropy \(nats\)</g), `n = ${n}`).toBe(rows);
      expect(count(svg, /class="threshold"/g)).toBe(rows);
      expect(count(svg, /class="patch-start"/g)).toBe(starts.length);
      // Every byte is on the plot once: one point per entropy across the rows' lines.
      const points = [...svg.matchAll(/<polyline points="([^"]*)"/g)].flatMap((m) =>
        m[1].split(' ').filter(Boolean),
      );
      expect(points).toHaveLength(n);
      for (const pt of points) {
        const [x, y] = pt.split(',').map(Number);
        expect(x).toBeGreaterThan(0);
        expect(x).toBeLessThan(width);
        expect(y).toBeGreaterThan(0);
        expect(y).toBeLessThan(height);
      }
      // Never a strip: at most 4:1 wide, and the CLI's default 400 bytes fit a page (≤ 1.5:1 tall).
      expect(width / height, `n = ${n}`).toBeLessThanOrEqual(4);
      if (n <= 400) expect(height / width, `n = ${n}`).toBeLessThanOrEqual(1.5);
      expect(svg).toMatch(/class="x-label">byte offset/);
    }
  });

  it('has a legend for the entropy, the threshold (when drawn) and the patch starts', () => {
    const legendOf = (svg: string) => svg.match(/<g class="legend">(.*?)<\/g>/)![1];
    const withTheta = legendOf(plot(100, 1.25).svg);
    expect(withTheta).toContain('entropy (nats)');
    expect(withTheta).toContain('threshold θ = 1.250 nats');
    expect(withTheta).toContain('patch start');
    const monotonic = plot(100);
    expect(legendOf(monotonic.svg)).not.toContain('θ');
    expect(count(monotonic.svg, /class="threshold"/g)).toBe(0);
  });

  it('refuses a bad row width, naming it', () => {
    const p = { bytes: new Uint8Array(3), entropies: [1, 2, 3], starts: [0] };
    expect(() => entropyPlotSvg({ ...p, bytesPerRow: 0 })).toThrow(PatchingError);
    expect(() => entropyPlotSvg({ ...p, bytesPerRow: 2.5 })).toThrow(
      /bytesPerRow must be a positive integer, got 2\.5/,
    );
  });

  it('draws a sparkline from the lowest to the highest block', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([1, 2], 4)).toBe('▃▅');
  });
});
