// Runs the MoE / MoT reproductions alone: `node bench/reproduce-run.mjs` (BENCH_QUICK=1 or --quick
// for the short run; --verbose prints the training curves).
import { reproduce } from './reproduce.mjs';

const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
const verbose = process.argv.includes('--verbose');
const t0 = performance.now();
const records = await reproduce({ quick, log: verbose ? console.log : undefined });
console.log(`\n${records.length} records in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
