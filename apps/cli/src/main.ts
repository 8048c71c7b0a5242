// The `tessera` command line (commander parses the arguments: a well-kept library for the part that
// is not the point of this project).
import * as T from '@tessera/tensor';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_MEAN_SIZE, patchCommand } from './patch.js';

const number = (what: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min)
    throw new InvalidArgumentError(`${what} must be a number ≥ ${min}, got '${v}'`);
  return n;
};

const program = new Command('tessera').description('Tessera on the command line');
program
  .command('patch')
  .description(
    "print FILE's BLT entropy patches with a sparkline of next-byte entropy; optionally write an SVG plot",
  )
  .argument('<file>', 'a UTF-8 text file')
  .option(
    '-t, --threshold <nats>',
    'global entropy threshold θ in nats (default: calibrated to --mean-size)',
    number('--threshold', 0),
  )
  .option(
    '-m, --mean-size <bytes>',
    `mean patch size to calibrate θ to when no --threshold is given (default ${DEFAULT_MEAN_SIZE})`,
    number('--mean-size', 1),
  )
  .option('--monotonic', 'start a patch when entropy rises by more than θ')
  .option('--max-length <bytes>', 'split patches longer than this', number('--max-length', 1))
  .option('--reset-at-newlines', 'restart the entropy context after every newline')
  .option('--svg <path>', 'write an SVG plot of entropy per byte with θ and the boundaries')
  .option('--limit <bytes>', 'bytes of the file to patch', number('--limit', 1), 400)
  .option('--backend <name>', 'cpu, webgpu or auto', 'auto')
  .action(async (file: string, opts) => {
    // Which backend runs, and when 'auto' fell back to the CPU, why (T.init's reason).
    let fallback = '';
    const backend = await T.init({
      backend: opts.backend,
      onFallback: (why) => {
        fallback = `; ${why.replace(/^tessera: /, '')}`;
      },
    });
    console.log(`backend: ${backend.name} (${backend.description})${fallback}`);
    await patchCommand(file, opts, backend);
  });

program.parseAsync().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`tessera: ${e.message}`);
    process.exit(1);
  },
);
