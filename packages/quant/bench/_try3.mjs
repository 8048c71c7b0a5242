import * as T from '@tessera/tensor';
import { reproduce } from './reproduce.mjs';

const backend = process.env.B === 'gpu' ? await T.webgpuBackend() : T.cpuBackend;
const t = performance.now();
const r = await reproduce({
  backend,
  config: {
    vocabSize: 256,
    dim: Number(process.env.D ?? 32),
    layers: Number(process.env.L ?? 1),
    heads: 2,
    maxSeq: 33,
  },
  seq: 32,
  batch: 8,
  weightDecay: 0,
  pretrainSteps: Number(process.env.P ?? 100),
  finetuneSteps: Number(process.env.F ?? 60),
  lr: { pretrain: 3e-3, full: Number(process.env.LF ?? 2e-3), lora: Number(process.env.LL ?? 2e-2) },
  lora: { r: Number(process.env.R ?? 16), alpha: Number(process.env.A ?? 32) },
  evalWindows: 64,
  log: (s) => {
    if (s.startsWith('full') || s.startsWith('lora') || s.startsWith('qlora')) console.log(s.slice(0, 200));
  },
});
console.log(((performance.now() - t) / 1000).toFixed(1), 's');
process.exit(0);
