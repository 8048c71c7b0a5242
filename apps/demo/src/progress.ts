// Training progress for the demo: a bar on a terminal; elsewhere (CI logs, pipes, files), where a
// bar prints nothing, a plain line every few seconds. The shown fraction never moves back.
import { Bar, Presets } from 'cli-progress';

/** What one progress report says. */
export interface ProgressFields {
  /** Steps done, and the run's length once it is known. */
  step: number;
  total?: number;
  /** Mean training loss of the latest step, in bits per byte. */
  bitsPerByte: number;
  /** Training bytes per second. */
  bytesPerSecond: number;
}

/** Where progress is written: a stream that may be a terminal. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

const PERMILLE = 1000;

/** A monotone progress display; `fraction` is the share of the run done (0..1). */
export class Progress {
  private shown = 0;
  private lastLine = Number.NEGATIVE_INFINITY;
  private readonly bar?: Bar;

  constructor(
    private readonly stream: ProgressStream = process.stdout,
    /** Seconds between plain lines when the stream is not a terminal. */
    private readonly everySeconds = 5,
    private readonly now: () => number = () => performance.now() / 1000,
  ) {
    if (stream.isTTY) {
      this.bar = new Bar(
        {
          format: 'training [{bar}] {percentage}% | {steps} | train {bpb} bits/byte | {rate} B/s',
          hideCursor: true,
          stream: stream as NodeJS.WriteStream,
        },
        Presets.shades_classic,
      );
      this.bar.start(PERMILLE, 0, { steps: 'step 0', bpb: '-', rate: '-' });
    } else this.stream.write('training: a progress line every few seconds\n');
  }

  /** Reports progress; a fraction below one already shown is shown as the earlier one. */
  update(fraction: number, f: ProgressFields): void {
    this.shown = Math.min(1, Math.max(this.shown, fraction));
    const steps = `step ${f.step}${f.total ? `/${f.total}` : ''}`;
    const bpb = f.bitsPerByte.toFixed(3);
    const rate = Math.round(f.bytesPerSecond).toLocaleString('en-US');
    if (this.bar) {
      this.bar.update(Math.round(this.shown * PERMILLE), { steps, bpb, rate });
      return;
    }
    const t = this.now();
    if (t - this.lastLine < this.everySeconds && this.shown < 1) return;
    this.lastLine = t;
    this.stream.write(
      `training: ${Math.floor(this.shown * 100)}% | ${steps} | train ${bpb} bits/byte | ${rate} B/s\n`,
    );
  }

  /** Ends the display (the bar's line is finished). */
  stop(): void {
    this.bar?.stop();
  }
}
