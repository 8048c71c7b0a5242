// The `tessera` command line (commander parses the arguments: a well-kept library for the part that
// is not the point of this project).
import * as T from '@tessera/tensor';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_MEAN_SIZE, patchCommand } from './patch.js';
import { pipelinePredict } from './pipeline.js';
import { routeCommand } from './route.js';

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
  .option('--backend <name>', 'cpu, wasm, webgpu or auto', 'auto')
  .action(async (file: string, opts) => {
    const backend = await chooseBackend(opts.backend, (line) => console.log(line));
    await patchCommand(file, opts, backend);
  });

program
  .command('route')
  .description(
    "print how the shipped Mixture-of-Experts byte model routes FILE: per layer, tokens per expert, drop rate, imbalance and router entropy; optionally write an SVG heatmap of each byte's expert",
  )
  .argument('<file>', 'a text file (its bytes are the tokens)')
  .option('--svg <path>', 'write an SVG heatmap: one column per byte, one row per layer, coloured by expert')
  .option('--json', 'print the statistics as one JSON object')
  .option('--limit <bytes>', 'bytes of the file to route (at most 512)', number('--limit', 1), 400)
  .option('--backend <name>', 'cpu, wasm, webgpu or auto', 'auto')
  .action(async (file: string, opts) => {
    // With --json the backend line goes to standard error: standard output is the JSON alone.
    const backend = await chooseBackend(opts.backend, (line) =>
      opts.json ? console.error(line) : console.log(line),
    );
    await routeCommand(file, { ...opts, limit: Math.floor(opts.limit) }, backend);
  });

/** Picks the backend, says which runs and, after a fallback from WebGPU, why (T.init's reason). */
async function chooseBackend(name: string, print: (line: string) => void): Promise<T.Backend> {
  let fallback = '';
  const backend = await T.init({
    backend: name as 'auto',
    onFallback: (why) => {
      fallback = `; ${why.replace(/^tessera: /, '')}`;
    },
  });
  print(`backend: ${backend.name} (${backend.description})${fallback}`);
  return backend;
}

const STRATEGIES = ['auto', 'hummingbird', 'gemm', 'tree_traversal', 'perfect_tree_traversal'];
const pipeline = program
  .command('pipeline')
  .description('trained classical ML models compiled to tensor programs');
pipeline
  .command('predict')
  .description(
    'score the rows of a CSV file with a model (ONNX-ML, XGBoost JSON, scikit-learn export or ml.js JSON): one output row per input row, the label then each class probability, or the predicted value(s)',
  )
  .argument('<model>', 'the model file (the format is read from its content)')
  .argument(
    '<data>',
    "a CSV file of the model's input columns (a header row naming them, or in the model's order)",
  )
  .option('-o, --out <path>', 'write the predictions here (default: standard output)')
  .option('--batch <rows>', 'rows scored at a time', number('--batch', 1), 10_000)
  .option('--strategy <name>', `tree strategy: ${STRATEGIES.join(', ')}`, (v: string) => {
    if (!STRATEGIES.includes(v))
      throw new InvalidArgumentError(`--strategy must be one of ${STRATEGIES.join(', ')}, got '${v}'`);
    return v;
  })
  .option('--backend <name>', 'cpu, wasm, webgpu or auto', 'auto')
  .action(async (model: string, data: string, opts) => {
    // Progress and the backend line go to standard error: the predictions may be on standard output.
    const backend = await chooseBackend(opts.backend, (line) => console.error(line));
    await pipelinePredict(model, data, { ...opts, batch: Math.floor(opts.batch) }, backend);
  });

program.parseAsync().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`tessera: ${e.message}`);
    process.exit(1);
  },
);
