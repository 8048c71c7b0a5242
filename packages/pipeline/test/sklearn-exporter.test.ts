// The exporter shipped in python/export_sklearn.py, run end to end where Python with scikit-learn
// is installed (skipped, and says so, elsewhere): a fitted pipeline written by export() and by the
// command line parses and scores as scikit-learn does; an unknown estimator is refused by name.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '@tessera/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, parseSklearn } from '../src/index.js';
import { expectClose } from './helpers.js';

const EXPORTER_DIR = new URL('../python/', import.meta.url).pathname;
const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0,
);
// CI installs Debian's python3-sklearn and sets TESSERA_REQUIRE_SKLEARN=1: there, a missing one fails.
if (process.env.TESSERA_REQUIRE_SKLEARN === '1' && !PYTHON)
  throw new Error(
    'TESSERA_REQUIRE_SKLEARN=1 but no python3 with scikit-learn (apt-get install python3-sklearn)',
  );
const dir = mkdtempSync(join(tmpdir(), 'tessera-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs Python code with the exporter importable; returns stdout, failing on a non-zero exit. */
function python(code: string): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(PYTHON!, ['-c', code], { cwd: EXPORTER_DIR, encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

const FIT = `
import json, pickle, numpy as np
from sklearn.datasets import load_wine
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression
from export_sklearn import export
X, y = load_wine(return_X_y=True)
X = X.astype(np.float32).astype(np.float64)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
`;

describe.skipIf(!PYTHON)(
  `python/export_sklearn.py${PYTHON ? '' : ' (no python3 with scikit-learn here)'}`,
  () => {
    it('exports a fitted pipeline, by export() and by the command line, that scores as scikit-learn does', async () => {
      const api = join(dir, 'api.json');
      const cli = join(dir, 'cli.json');
      const pkl = join(dir, 'model.pkl');
      const run = python(`${FIT}
export(model, ${JSON.stringify(api)})
pickle.dump(model, open(${JSON.stringify(pkl)}, 'wb'))
print(json.dumps({"rows": X[::20].tolist(), "label": model.predict(X[::20]).tolist(), "proba": model.predict_proba(X[::20]).tolist()}))
`);
      expect(run.status, run.stderr).toBe(0);
      const cmd = spawnSync(PYTHON!, ['export_sklearn.py', pkl, cli], {
        cwd: EXPORTER_DIR,
        encoding: 'utf8',
      });
      expect(cmd.status, cmd.stderr).toBe(0);
      expect(readFileSync(cli, 'utf8')).toBe(readFileSync(api, 'utf8'));
      const want = JSON.parse(run.stdout) as { rows: number[][]; label: number[]; proba: number[][] };
      const program = compile(parseSklearn(readFileSync(api, 'utf8')), { backend: T.cpuBackend });
      const got = await program.predict(Float32Array.from(want.rows.flat()));
      expect(got.label).toEqual(want.label);
      expectClose(got.probabilities as Float32Array, want.proba.flat(), 1e-6, 1e-6, 'probabilities');
      program.dispose();
    });

    it('refuses an estimator it does not know, by its class name', () => {
      const run = python(`
from sklearn.neighbors import KNeighborsClassifier
from export_sklearn import export
export(KNeighborsClassifier().fit([[0.0], [1.0]], [0, 1]), ${JSON.stringify(join(dir, 'knn.json'))})
`);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(
        /TypeError: export_sklearn: KNeighborsClassifier is not supported; supported: Pipeline, ColumnTransformer, .*MLPRegressor/,
      );
    });
  },
);
