// The scikit-learn side of the benchmarks runs in Python where it is installed (Debian's
// /usr/bin/python3 with python3-sklearn and python3-onnx); without it the bench says so and runs
// what needs no Python.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PYTHON = process.env.TESSERA_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'sklearn_peer.py');
// One thread for numpy's BLAS, as for every other implementation timed here.
const ENV = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** Undefined when Python with scikit-learn and onnx runs, else why it does not. */
export function pythonMissing() {
  const r = spawnSync(PYTHON, ['-c', 'import sklearn, onnx; print(sklearn.__version__)'], {
    encoding: 'utf8',
  });
  if (r.error) return `${PYTHON} does not run (${r.error.message})`;
  if (r.status !== 0) return `${PYTHON} lacks scikit-learn or onnx (${r.stderr.trim().split('\n').pop()})`;
  return undefined;
}

/** Runs `sklearn_peer.py` with `args`, its output on this terminal; throws when it fails. */
export function runPeer(args) {
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { stdio: 'inherit', env: ENV });
  if (r.error || r.status !== 0)
    throw new Error(
      `${PYTHON} sklearn_peer.py ${args[0]} failed (${r.error?.message ?? `exit ${r.status}`})`,
    );
}
