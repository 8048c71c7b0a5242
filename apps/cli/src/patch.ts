// `tessera patch FILE`: the file's bytes through the shipped entropy model, patched, printed with
// boundaries and a sparkline, and plotted as SVG.
import { writeFile } from 'node:fs/promises';
import {
  calibrateThreshold,
  entropyPatches,
  entropyPlotSvg,
  patchBytes,
  sparkline,
  tinyEntropyModel,
  validateUtf8,
} from '@tessera/patching';
import type * as T from '@tessera/tensor';
import { lineCollector, readInputBytes } from './io.js';

/** Options of {@link patchCommand}. */
export interface PatchCommandOptions {
  /** A fixed global threshold θ (nats); without it θ is calibrated to `meanSize`. */
  threshold?: number;
  /** Without a threshold: calibrate θ to this mean patch size (default 4.5). */
  meanSize?: number;
  monotonic?: boolean;
  maxLength?: number;
  svg?: string;
  resetAtNewlines?: boolean;
  /** Bytes to show (the plot is unreadable past a few hundred). */
  limit: number;
}

/** The mean patch size θ is calibrated to when no threshold is given. */
export const DEFAULT_MEAN_SIZE = 4.5;

const BAR = '│';

/** Runs the command; returns the printed lines (also written to `print`). */
export async function patchCommand(
  file: string,
  o: PatchCommandOptions,
  backend: T.Backend,
  print: (line: string) => void = console.log,
): Promise<string[]> {
  const { lines, out } = lineCollector(print);
  const all = await readInputBytes(file);
  validateUtf8(all);
  const bytes = all.subarray(0, o.limit);
  const model = await tinyEntropyModel({ backend });
  try {
    const { entropies } = await patchBytes(model, bytes, {
      threshold: 0,
      resetAtNewlines: o.resetAtNewlines,
    });
    const rule = { monotonic: o.monotonic, maxPatchLength: o.maxLength };
    const meanSize = o.meanSize ?? DEFAULT_MEAN_SIZE;
    const calibrated =
      o.threshold === undefined ? calibrateThreshold([entropies], meanSize, rule) : undefined;
    const threshold = o.threshold ?? calibrated!.threshold;
    const { starts, lengths } = entropyPatches(entropies, { threshold, ...rule });
    // Patches over ids: id 0 is BOS, byte j is id j + 1. A character cut by a boundary is shown
    // whole in the patch where it ends.
    const decoder = new TextDecoder();
    const pieces = [...starts].map((s, i) =>
      decoder.decode(bytes.subarray(Math.max(0, s - 1), s - 1 + lengths[i]), {
        stream: i + 1 < starts.length,
      }),
    );
    const how =
      o.threshold === undefined ? `calibrated to mean patch size ${meanSize}` : 'given with --threshold';
    out(
      `${file}: ${bytes.length} bytes${all.length > bytes.length ? ` (first ${o.limit} of ${all.length})` : ''}, ${starts.length} patches, mean ${((bytes.length + 1) / starts.length).toFixed(2)} bytes, θ = ${threshold.toFixed(4)} nats (${how})${o.monotonic ? ', monotonic' : ''}`,
    );
    if (calibrated && calibrated.meanPatchSize < meanSize)
      out(
        `note: no θ reaches mean patch size ${meanSize} here${o.maxLength ? ` with --max-length ${o.maxLength}` : ''}; this θ gives the largest mean`,
      );
    out(pieces.map((p) => p.replace(/\n/g, '⏎')).join(BAR));
    out(sparkline(entropies.subarray(1)));
    if (o.svg) {
      // Byte j is drawn with entropy j, the one that predicts it (and decides whether it starts a patch).
      const svg = entropyPlotSvg({
        bytes,
        entropies: entropies.subarray(0, bytes.length),
        starts: [...starts].filter((s) => s >= 1).map((s) => s - 1),
        threshold: o.monotonic ? undefined : threshold,
        title: `${file}: entropy of each byte's prediction by the shipped model; θ ${how}${o.monotonic ? ' (monotonic: a patch starts where entropy rises by more than θ)' : ''}`,
      });
      await writeFile(o.svg, svg);
      out(`wrote ${o.svg}`);
    }
  } finally {
    model.dispose();
  }
  return lines;
}
