// Seeing patches: a text sparkline and an SVG plot of entropy per byte with the threshold and the
// patch boundaries, in the style of the BLT paper's Figure 4 (long inputs wrapped into rows).
import { PatchingError } from './errors.js';

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
  /** Entropy (nats) of the prediction of each byte. */
  entropies: ArrayLike<number>;
  /** Byte indices where patches start. */
  starts: ArrayLike<number>;
  /** The global threshold (nats), drawn as a dashed horizontal line. */
  threshold?: number;
  title?: string;
  /** Bytes per row; longer inputs wrap onto more rows (default 64). */
  bytesPerRow?: number;
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

// Layout in pixels: one column per byte; each row is a plot band, then characters and offsets.
const STEP = 14;
const LEFT = 64;
const RIGHT = 16;
const PLOT = 110;
const ROW = PLOT + 46;
const FOOTER = 28;
const MIN_WIDTH = 560;
const CHAR = 6.6; // width of an 11-px monospace character (0.6 em); titles are 12 px, 7.2
const COLORS = { entropy: '#222', threshold: '#36c', start: '#c33' };

/**
 * An SVG plot of entropy per byte (nats), a dashed threshold, and a vertical line at every patch
 * start, wrapped into rows of `bytesPerRow` bytes that share one y scale; each row has its own
 * labelled y axis, the bytes' characters and offsets below, and a legend heads the plot.
 */
export function entropyPlotSvg(p: EntropyPlot): string {
  const n = p.entropies.length;
  const perRow = p.bytesPerRow ?? 64;
  if (!(Number.isInteger(perRow) && perRow >= 1))
    throw new PatchingError(`entropyPlotSvg: bytesPerRow must be a positive integer, got ${perRow}`);
  const rows = Math.max(1, Math.ceil(n / perRow));
  const width = Math.max(MIN_WIDTH, LEFT + Math.min(Math.max(n, 1), perRow) * STEP + RIGHT);
  const title = wrap(
    p.title ?? 'entropy of each byte’s prediction and the patches it gives',
    Math.floor((width - LEFT - RIGHT) / 7.2),
  );
  const legendY = 18 + title.length * 16;
  const header = legendY + 26;
  const height = header + rows * ROW + FOOTER;
  let max = p.threshold ?? 0;
  for (let i = 0; i < n; i++) max = Math.max(max, p.entropies[i]);
  max = max > 0 ? Math.ceil(max * 1.05 * 2) / 2 : 1;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...title.map((line, i) => `<text x="${LEFT}" y="${18 + i * 16}" font-size="12">${esc(line)}</text>`),
    legend(p.threshold, legendY),
  ];
  const starts = Array.from(p.starts);
  for (let r = 0; r < rows; r++)
    parts.push(row(p, r * perRow, Math.min(n, (r + 1) * perRow), header + r * ROW, max, starts));
  parts.push(
    `<text x="${LEFT}" y="${height - 8}" class="x-label">byte offset (one column per byte; ␣ space, · other)</text>`,
    '</svg>',
  );
  return parts.join('\n');
}

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** The key: entropy line, threshold (when drawn) and patch start, side by side at height `y`. */
function legend(threshold: number | undefined, y: number): string {
  const items: string[] = [];
  let x = LEFT;
  const item = (mark: string, label: string) => {
    items.push(
      `${mark.replaceAll('X0', `${x}`).replaceAll('X1', `${x + 24}`)}<text x="${x + 30}" y="${y + 4}">${esc(label)}</text>`,
    );
    x += 30 + label.length * CHAR + 24;
  };
  item(
    `<line x1="X0" y1="${y}" x2="X1" y2="${y}" stroke="${COLORS.entropy}" stroke-width="1.5"/>`,
    'entropy (nats)',
  );
  if (threshold !== undefined)
    item(
      `<line x1="X0" y1="${y}" x2="X1" y2="${y}" stroke="${COLORS.threshold}" stroke-dasharray="4 3"/>`,
      `threshold θ = ${threshold.toFixed(3)} nats`,
    );
  item(`<line x1="X1" y1="${y - 8}" x2="X1" y2="${y + 8}" stroke="${COLORS.start}"/>`, 'patch start');
  return `<g class="legend">${items.join('')}</g>`;
}

/** One row: bytes [from, to) in the band whose top is `top`. */
function row(p: EntropyPlot, from: number, to: number, top: number, max: number, starts: number[]): string {
  const x = (i: number) => LEFT + (i - from) * STEP + STEP / 2;
  const y = (v: number) => top + PLOT - (Math.max(0, v) / max) * PLOT;
  const right = LEFT + Math.max(1, to - from) * STEP;
  const out: string[] = [
    `<g class="row">`,
    `<line x1="${LEFT}" y1="${top + PLOT}" x2="${right}" y2="${top + PLOT}" stroke="#444"/>`,
    `<line x1="${LEFT}" y1="${top}" x2="${LEFT}" y2="${top + PLOT}" stroke="#444"/>`,
    `<text x="${LEFT - 4}" y="${top + 4}" text-anchor="end">${max.toFixed(1)}</text>`,
    `<text x="${LEFT - 4}" y="${top + PLOT}" text-anchor="end">0</text>`,
    `<text class="y-label" transform="translate(16 ${top + PLOT / 2}) rotate(-90)" text-anchor="middle">entropy (nats)</text>`,
  ];
  for (const s of starts)
    if (s >= from && s < to)
      out.push(
        `<line class="patch-start" x1="${x(s) - STEP / 2}" y1="${top}" x2="${x(s) - STEP / 2}" y2="${top + PLOT}" stroke="${COLORS.start}"/>`,
      );
  if (p.threshold !== undefined)
    out.push(
      `<line class="threshold" x1="${LEFT}" y1="${y(p.threshold)}" x2="${right}" y2="${y(p.threshold)}" stroke="${COLORS.threshold}" stroke-dasharray="4 3"/>`,
    );
  const points: string[] = [];
  for (let i = from; i < to; i++) points.push(`${x(i).toFixed(1)},${y(p.entropies[i]).toFixed(1)}`);
  out.push(
    `<polyline points="${points.join(' ')}" fill="none" stroke="${COLORS.entropy}" stroke-width="1.5"/>`,
  );
  for (let i = from; i < to; i++) {
    const b = p.bytes[i];
    const ch = b === 32 ? '␣' : b >= 33 && b < 127 ? String.fromCharCode(b) : '·';
    out.push(`<text x="${x(i) - 3}" y="${top + PLOT + 15}">${esc(ch)}</text>`);
    if ((i - from) % 16 === 0)
      out.push(`<text class="x-tick" x="${x(i) - 3}" y="${top + PLOT + 30}" fill="#666">${i}</text>`);
  }
  out.push('</g>');
  return out.join('\n');
}
