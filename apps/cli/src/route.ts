// `tessera route FILE`: the file's bytes through the shipped MoE byte model, each sparse layer's
// routing statistics printed, and an SVG heatmap of which expert takes each byte.
import { writeFile } from 'node:fs/promises';
import { layerStats, routingHeatmapSvg, tinyMoEModel } from '@tessera/moe';
import * as T from '@tessera/tensor';
import { lineCollector, readInputBytes } from './io.js';

/** Options of {@link routeCommand}. */
export interface RouteCommandOptions {
  svg?: string;
  /** Print one JSON object (the statistics) instead of text. */
  json?: boolean;
  /** Bytes to route (the heatmap is unreadable past a few hundred; the model's context is 512). */
  limit: number;
}

/** Runs the command; returns the printed lines (also written to `print`). */
export async function routeCommand(
  file: string,
  o: RouteCommandOptions,
  backend: T.Backend,
  print: (line: string) => void = console.log,
): Promise<string[]> {
  const { lines, out } = lineCollector(print);
  const all = await readInputBytes(file);
  const model = await tinyMoEModel({ backend });
  try {
    const bytes = all.subarray(0, Math.min(o.limit, model.config.maxSeq));
    const ids = T.tensor(Int32Array.from(bytes), { shape: [1, bytes.length], dtype: 'i32', backend });
    const report = await layerStats(model, ids);
    ids.dispose();
    const { numExperts, k = 2 } = model.config;
    const layers = report.layers.map(({ top1, ...stats }) => stats);
    if (o.json) {
      out(
        JSON.stringify({
          file,
          bytes: bytes.length,
          bitsPerByte: report.bitsPerToken,
          numExperts,
          k,
          layers,
        }),
      );
    } else {
      out(
        `${file}: ${bytes.length} bytes${all.length > bytes.length ? ` (first ${bytes.length} of ${all.length})` : ''}, ${numExperts} experts, top-${k}; the shipped model predicts it at ${report.bitsPerToken.toFixed(3)} bits/byte`,
      );
      for (const l of layers)
        out(
          `layer ${l.layer}: tokens per expert [${l.tokensPerExpert.join(', ')}], dropped ${(l.dropRate * 100).toFixed(1)}%, imbalance ${l.imbalance.toFixed(3)} (max/mean), router entropy ${l.entropy.toFixed(3)} nats (uniform ${Math.log(numExperts).toFixed(3)})`,
        );
    }
    if (o.svg) {
      const svg = routingHeatmapSvg({
        bytes,
        rows: report.layers.map((l) => l.top1),
        rowLabels: report.layers.map((l) => `layer ${l.layer}`),
        numExperts,
        title: `${file}: most probable expert of each byte in each layer of the shipped MoE model`,
      });
      await writeFile(o.svg, svg);
      // With --json standard output holds the JSON alone.
      if (o.json) console.error(`wrote ${o.svg}`);
      else out(`wrote ${o.svg}`);
    }
  } finally {
    model.dispose();
  }
  return lines;
}
