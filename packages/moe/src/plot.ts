// Seeing the routing: an SVG heatmap with one column per token (byte) and one row per sparse layer,
// each cell coloured by the token's most probable expert, the text's characters under each block.
import { needInt } from './check.js';
import { MoEError } from './errors.js';

/** What {@link routingHeatmapSvg} draws. */
export interface RoutingHeatmap {
  /** The text's bytes, one per column (drawn as characters under the cells when printable). */
  bytes: Uint8Array;
  /** One row per layer: the expert of each byte (e.g. `LayerRouting.top1`). */
  rows: ArrayLike<number>[];
  /** Label of each row (default `layer N`, N from 0). */
  rowLabels?: string[];
  numExperts: number;
  title?: string;
  /** Bytes per block; longer texts wrap onto more blocks (default 64). */
  bytesPerRow?: number;
}

// Tableau's 10 categorical colours; more experts get evenly spaced hues after them.
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** The colour of expert `e` of `n`: distinct for every expert, the same on every call. */
export function expertColor(e: number, n: number): string {
  if (n <= PALETTE.length) return PALETTE[e];
  const hue = Math.round((e * 360) / n);
  return `hsl(${hue} ${e % 2 ? 55 : 75}% ${e % 3 === 0 ? 45 : 58}%)`;
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

// Layout in pixels: a cell per byte and layer; each block is its cells, then characters and offsets.
const CELL = 14;
const LEFT = 72;
const RIGHT = 16;
const GAP = 44;
const MIN_WIDTH = 560;

/**
 * An SVG heatmap of expert assignment over a text: for each block of `bytesPerRow` bytes, one row
 * of cells per layer (class `cell`, `data-layer`, `data-expert`), coloured by expert with a
 * categorical palette ({@link expertColor}), the bytes' characters and offsets below, and a legend
 * of the experts' colours on top. The output depends on the arguments only; text is XML-escaped.
 * Rows of another length than `bytes`, or an expert outside [0, numExperts), are a {@link MoEError}.
 */
export function routingHeatmapSvg(h: RoutingHeatmap): string {
  const n = h.bytes.length;
  const perRow = h.bytesPerRow ?? 64;
  needInt('routingHeatmapSvg: bytesPerRow', perRow, 1);
  needInt('routingHeatmapSvg: numExperts', h.numExperts, 1);
  if (h.rows.length === 0) throw new MoEError('routingHeatmapSvg: rows must hold at least one layer, got 0');
  for (const [r, row] of h.rows.entries()) {
    if (row.length !== n)
      throw new MoEError(
        `routingHeatmapSvg: rows[${r}] must have one expert per byte (${n}), got ${row.length}`,
      );
    for (let i = 0; i < n; i++)
      if (!(Number.isInteger(row[i]) && row[i] >= 0 && row[i] < h.numExperts))
        throw new MoEError(
          `routingHeatmapSvg: rows[${r}][${i}] must be an expert in [0, ${h.numExperts}), got ${row[i]}`,
        );
  }
  const labels = h.rowLabels ?? h.rows.map((_, r) => `layer ${r}`);
  if (labels.length !== h.rows.length)
    throw new MoEError(
      `routingHeatmapSvg: rowLabels must have one label per row (${h.rows.length}), got ${labels.length}`,
    );
  const blocks = Math.max(1, Math.ceil(n / perRow));
  const width = Math.max(MIN_WIDTH, LEFT + Math.min(Math.max(n, 1), perRow) * CELL + RIGHT);
  const band = h.rows.length * CELL + GAP;
  const legendRows = Math.ceil(h.numExperts / Math.max(1, Math.floor((width - LEFT) / 90)));
  const header = 40 + legendRows * 18;
  const height = header + blocks * band + 24;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${LEFT}" y="18" font-size="12">${esc(h.title ?? 'most probable expert of each byte, per layer')}</text>`,
    legend(h.numExperts, width),
  ];
  for (let b = 0; b < blocks; b++)
    parts.push(block(h, labels, b * perRow, Math.min(n, (b + 1) * perRow), header + b * band));
  parts.push(
    `<text x="${LEFT}" y="${height - 8}" class="x-label">byte offset (one column per byte; ␣ space, · other)</text>`,
    '</svg>',
  );
  return parts.join('\n');
}

/** The experts' colour swatches, as many per line as fit. */
function legend(numExperts: number, width: number): string {
  const perLine = Math.max(1, Math.floor((width - LEFT) / 90));
  const items: string[] = [];
  for (let e = 0; e < numExperts; e++) {
    const x = LEFT + (e % perLine) * 90;
    const y = 30 + Math.floor(e / perLine) * 18;
    items.push(
      `<rect class="swatch" x="${x}" y="${y}" width="12" height="12" fill="${expertColor(e, numExperts)}"/><text x="${x + 16}" y="${y + 10}">expert ${e}</text>`,
    );
  }
  return `<g class="legend">${items.join('')}</g>`;
}

/** One block: bytes [from, to), a row of cells per layer from `top`, characters and offsets below. */
function block(h: RoutingHeatmap, labels: string[], from: number, to: number, top: number): string {
  const out = ['<g class="block">'];
  for (const [r, row] of h.rows.entries()) {
    const y = top + r * CELL;
    out.push(`<text x="${LEFT - 4}" y="${y + CELL - 3}" text-anchor="end">${esc(labels[r])}</text>`);
    for (let i = from; i < to; i++) {
      const e = row[i];
      out.push(
        `<rect class="cell" data-layer="${r}" data-expert="${e}" x="${LEFT + (i - from) * CELL}" y="${y}" width="${CELL}" height="${CELL}" fill="${expertColor(e, h.numExperts)}"/>`,
      );
    }
  }
  const base = top + h.rows.length * CELL;
  for (let i = from; i < to; i++) {
    const b = h.bytes[i];
    const ch = b === 32 ? '␣' : b >= 33 && b < 127 ? String.fromCharCode(b) : '·';
    const x = LEFT + (i - from) * CELL + 4;
    out.push(`<text class="char" x="${x}" y="${base + 13}">${esc(ch)}</text>`);
    if ((i - from) % 16 === 0)
      out.push(`<text class="x-tick" x="${x}" y="${base + 28}" fill="#666">${i}</text>`);
  }
  out.push('</g>');
  return out.join('\n');
}
