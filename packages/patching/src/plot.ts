// Seeing patches: a text sparkline and an SVG plot of entropy per byte with the threshold and the
// patch boundaries, in the style of the BLT paper's Figure 4.

const BARS = '▁▂▃▄▅▆▇█';

/** One block character per value, scaled from 0 to `max` (default: the largest value). */
export function sparkline(values: ArrayLike<number>, max?: number): string {
  let top = max ?? 0;
  if (max === undefined) for (let i = 0; i < values.length; i++) top = Math.max(top, values[i]);
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const level = top > 0 ? Math.round((Math.max(0, values[i]) / top) * (BARS.length - 1)) : 0;
    out += BARS[Math.min(BARS.length - 1, level)];
  }
  return out;
}

/** What {@link entropyPlotSvg} draws. */
export interface EntropyPlot {
  /** The bytes, one per entropy (drawn as characters under the axis when printable). */
  bytes: Uint8Array;
  /** Entropy (nats) that predicts each byte. */
  entropies: ArrayLike<number>;
  /** Byte indices where patches start. */
  starts: ArrayLike<number>;
  /** The global threshold, drawn as a horizontal line. */
  threshold?: number;
  title?: string;
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** An SVG line plot of entropy per byte, a dashed threshold, and a vertical line at every patch start. */
export function entropyPlotSvg(p: EntropyPlot): string {
  const n = p.entropies.length;
  const step = 14;
  const [left, top, height] = [40, 30, 160];
  const width = left + Math.max(1, n) * step + 20;
  let max = p.threshold ?? 0;
  for (let i = 0; i < n; i++) max = Math.max(max, p.entropies[i]);
  max = max > 0 ? max * 1.05 : 1;
  const x = (i: number) => left + i * step + step / 2;
  const y = (v: number) => top + height - (v / max) * height;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + height + 40}" font-family="monospace" font-size="11">`,
    `<text x="${left}" y="16">${esc(p.title ?? 'entropy of the next byte (nats) and patch starts')}</text>`,
    `<line x1="${left}" y1="${top + height}" x2="${width - 10}" y2="${top + height}" stroke="#444"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + height}" stroke="#444"/>`,
    `<text x="4" y="${top + 4}">${max.toFixed(1)}</text><text x="4" y="${top + height}">0</text>`,
  ];
  for (let i = 0; i < p.starts.length; i++) {
    const s = p.starts[i];
    parts.push(
      `<line x1="${x(s) - step / 2}" y1="${top}" x2="${x(s) - step / 2}" y2="${top + height}" stroke="#c33" stroke-width="1"/>`,
    );
  }
  if (p.threshold !== undefined)
    parts.push(
      `<line x1="${left}" y1="${y(p.threshold)}" x2="${width - 10}" y2="${y(p.threshold)}" stroke="#36c" stroke-dasharray="4 3"/>`,
    );
  const points = Array.from(
    { length: n },
    (_, i) => `${x(i).toFixed(1)},${y(p.entropies[i]).toFixed(1)}`,
  ).join(' ');
  parts.push(`<polyline points="${points}" fill="none" stroke="#222" stroke-width="1.5"/>`);
  for (let i = 0; i < n; i++) {
    const b = p.bytes[i];
    const ch = b === 32 ? '␣' : b >= 33 && b < 127 ? String.fromCharCode(b) : '·';
    parts.push(`<text x="${x(i) - 3}" y="${top + height + 16}">${esc(ch)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}
