// `tessera patch FILE`: the file's bytes through the shipped entropy model, patched, printed with
// boundaries and a sparkline, and plotted as SVG.
import { readFile, writeFile } from 'node:fs/promises';
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

/** Options of {@link patchCommand}. */
export interface PatchCommandOptions {
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

const BAR = '│';

/** Runs the command; returns the printed lines (also written to `print`). */
export async function patchCommand(
  file: string,
  o: PatchCommandOptions,
  backend: T.Backend,
  print: (line: string) => void = console.log,
): Promise<string[]> {
  const lines: string[] = [];
  const out = (s: string) => {
    lines.push(s);
    print(s);
  };
  const all = new Uint8Array(await readFile(file));
  if (all.length === 0) throw new Error(`${file}: the file is empty`);
  validateUtf8(all);
  const bytes = all.subarray(0, o.limit);
  const model = await tinyEntropyModel({ backend });
  try {
    const base = await patchBytes(model, bytes, { threshold: 0, resetAtNewlines: o.resetAtNewlines });
    const threshold =
      o.meanSize !== undefined
        ? calibrateThreshold([base.entropies], o.meanSize, { monotonic: o.monotonic }).threshold
        : (o.threshold ?? 1.335442066192627);
    const { starts, lengths } = entropyPatches(base.entropies, {
      threshold,
      monotonic: o.monotonic,
      maxPatchLength: o.maxLength,
    });
    const text = new TextDecoder();
    // Patches over ids: id 0 is BOS, byte j is id j + 1.
    const pieces = [...starts].map((s, i) =>
      text.decode(bytes.subarray(Math.max(0, s - 1), s - 1 + lengths[i])),
    );
    out(
      `${file}: ${bytes.length} bytes${all.length > bytes.length ? ` (first ${o.limit} of ${all.length})` : ''}, ${starts.length} patches, mean ${((bytes.length + 1) / starts.length).toFixed(2)} bytes, θ = ${threshold.toFixed(4)}${o.monotonic ? ' (monotonic)' : ''}, backend ${backend.name}`,
    );
    out(pieces.map((p) => p.replace(/\n/g, '⏎')).join(BAR));
    out(sparkline(base.entropies.subarray(1)));
    if (o.svg) {
      // The plot's x axis is bytes: entropy j + 1 is about byte j... shown at byte j is the one predicting it.
      const svg = entropyPlotSvg({
        bytes,
        entropies: base.entropies.subarray(0, bytes.length),
        starts: [...starts].filter((s) => s >= 1).map((s) => s - 1),
        threshold: o.monotonic ? undefined : threshold,
        title: `${file}: entropy of each byte's prediction (nats), θ = ${threshold.toFixed(3)}, patch starts in red`,
      });
      await writeFile(o.svg, svg);
      out(`wrote ${o.svg}`);
    }
  } finally {
    model.dispose();
  }
  return lines;
}
