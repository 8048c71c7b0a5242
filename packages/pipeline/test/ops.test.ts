// Every non-tree operator compiled on each backend against its definition (src/ir/types.ts),
// computed here by hand; predict()'s input checks; and that scoring in a loop leaks nothing.
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { coupleProbabilities } from '../src/compile/ops/platt.js';
import {
  compile,
  type Node,
  type Operator,
  type Pipeline,
  PipelineError,
  type ValueInfo,
} from '../src/index.js';
import { backends, expectClose } from './helpers.js';

const list = await backends();

/** A pipeline of one operator on input `x`. */
function single(op: Operator, x: Partial<ValueInfo> & { columns: number }, outputs = ['y']): Pipeline {
  const node: Node = { name: op.kind, inputs: ['x'], outputs, op };
  return { source: 'onnx', inputs: [{ name: 'x', kind: 'float', ...x }], outputs, nodes: [node] };
}

async function run(
  p: Pipeline,
  backend: T.Backend,
  input: Parameters<ReturnType<typeof compile>['predict']>[0],
) {
  const program = compile(p, { backend });
  try {
    return await program.predict(input);
  } finally {
    program.dispose();
  }
}

const X = [1, -2, 3, 0, 0, 0, -4, 8, Number.NaN];

describe.each(list)('operators on %s', (_name, backend) => {
  it('scaler, normalizers, imputer, binarizer, constants and activations', async () => {
    const cases: [Operator, number[]][] = [
      [{ kind: 'scaler', offset: [1, 0, -1], scale: [2, 0.5, 1] }, [0, -1, 4, -2, 0, 1, -10, 4, Number.NaN]],
      [
        { kind: 'normalizer', norm: 'l1' },
        [1 / 6, -2 / 6, 3 / 6, 0, 0, 0, Number.NaN, Number.NaN, Number.NaN],
      ],
      [
        { kind: 'normalizer', norm: 'l2' },
        [
          1 / Math.sqrt(14),
          -2 / Math.sqrt(14),
          3 / Math.sqrt(14),
          0,
          0,
          0,
          Number.NaN,
          Number.NaN,
          Number.NaN,
        ],
      ],
      // onnxruntime's running maximum skips NaN: [−4, 8, NaN] is divided by 8.
      [{ kind: 'normalizer', norm: 'largest' }, [1 / 3, -2 / 3, 1, 0, 0, 0, -0.5, 1, Number.NaN]],
      [{ kind: 'normalizer', norm: 'max' }, [1 / 3, -2 / 3, 1, 0, 0, 0, Number.NaN, Number.NaN, Number.NaN]],
      [{ kind: 'imputer', missing: Number.NaN, fill: [7, 8, 9] }, [1, -2, 3, 0, 0, 0, -4, 8, 9]],
      [{ kind: 'imputer', missing: 0, fill: [5] }, [1, -2, 3, 5, 5, 5, -4, 8, Number.NaN]],
      [{ kind: 'binarizer', threshold: 0 }, [1, 0, 1, 0, 0, 0, 0, 1, 0]],
      [{ kind: 'constant', fn: 'sub', value: [1] }, X.map((v) => v - 1)],
      [{ kind: 'constant', fn: 'mul', value: [1, 2, 3] }, X.map((v, i) => v * [1, 2, 3][i % 3])],
      [{ kind: 'activation', fn: 'relu' }, X.map((v) => (v < 0 ? 0 : v))],
      [{ kind: 'activation', fn: 'tanh' }, X.map(Math.tanh)],
    ];
    for (const [op, want] of cases) {
      const got = (await run(single(op, { columns: 3 }), backend, Float32Array.from(X))).y as Float32Array;
      expectClose(got, want, 1e-6, 1e-7, `${op.kind} ${JSON.stringify(op)}`);
    }
  });

  it('linear with every link, and the classifier head with labels', async () => {
    const weights = [
      [1, 0],
      [0, 1],
      [1, 1],
    ];
    const x = Float32Array.from([1, 2, -3, 0.5]);
    const logits = [
      [1, 2, 3],
      [-3, 0.5, -2.5],
    ].map((r) => r.map((v, i) => v + [0.1, 0.2, 0.3][i]));
    const softmax = logits.flatMap((r) => {
      const e = r.map(Math.exp);
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / z);
    });
    const p: Pipeline = {
      source: 'sklearn',
      inputs: [{ name: 'x', kind: 'float', columns: 2 }],
      outputs: ['label', 'probabilities'],
      nodes: [
        {
          name: 'lin',
          inputs: ['x'],
          outputs: ['s'],
          op: { kind: 'linear', weights, bias: [0.1, 0.2, 0.3], post: 'softmax' },
        },
        {
          name: 'head',
          inputs: ['s'],
          outputs: ['label', 'probabilities'],
          op: { kind: 'classifier', labels: ['a', 'b', 'c'], binary: 'none' },
        },
      ],
    };
    const out = await run(p, backend, x);
    expect(out.label).toEqual(['c', 'b']);
    expectClose(out.probabilities as Float32Array, softmax, 1e-6, 1e-7, 'softmax');
    // A single logistic column becomes [1 − p, p]; ties pick the first label.
    const binary: Pipeline = {
      ...p,
      nodes: [
        {
          name: 'lin',
          inputs: ['x'],
          outputs: ['s'],
          op: { kind: 'linear', weights: [[1, -1]], bias: [0], post: 'logistic' },
        },
        {
          name: 'head',
          inputs: ['s'],
          outputs: ['label', 'probabilities'],
          op: { kind: 'classifier', labels: [0, 1], binary: 'complement' },
        },
      ],
    };
    const b = await run(binary, backend, Float32Array.from([2, 2, 3, 1]));
    expect(b.label).toEqual([0, 1]);
    const p1 = 1 / (1 + Math.exp(-2));
    expectClose(b.probabilities as Float32Array, [0.5, 0.5, 1 - p1, p1], 1e-6, 1e-7, 'binary');
  });

  it('one-hot and label encoders over numbers and strings, select and concat', async () => {
    const p: Pipeline = {
      source: 'onnx',
      inputs: [
        { name: 'num', kind: 'float', columns: 2 },
        { name: 'cat', kind: 'string', columns: 1 },
      ],
      outputs: ['all', 'codes'],
      nodes: [
        { name: 'pick', inputs: ['num'], outputs: ['n1'], op: { kind: 'select', indices: [1] } },
        {
          name: 'hotn',
          inputs: ['n1'],
          outputs: ['hn'],
          op: { kind: 'oneHot', categories: [[3, 5, 7]], unknown: 'zeros' },
        },
        {
          name: 'hots',
          inputs: ['cat'],
          outputs: ['hs'],
          op: { kind: 'oneHot', categories: [['red', 'green']], unknown: 'zeros' },
        },
        { name: 'cat2', inputs: ['num', 'hn', 'hs'], outputs: ['all'], op: { kind: 'concat' } },
        {
          name: 'codes',
          inputs: ['cat'],
          outputs: ['codes'],
          op: { kind: 'labelEncoder', keys: ['red', 'green'], values: [10, 20], fallback: -1 },
        },
      ],
    };
    const out = await run(p, backend, { num: [0.5, 5, 1, 6], cat: ['green', 'blue'] });
    expect([...(out.all as Float32Array)]).toEqual([0.5, 5, 0, 1, 0, 0, 1, 1, 6, 0, 0, 0, 0, 0]);
    expect([...(out.codes as Float32Array)]).toEqual([20, -1]);
    const strict = single({ kind: 'oneHot', categories: [[1, 2]], unknown: 'error' }, { columns: 1 });
    await expect(run(strict, backend, [1, 2, 4])).rejects.toThrow(
      /row 2, column 0: the value is not one of the encoder's categories/,
    );
    const numeric = single(
      { kind: 'labelEncoder', keys: [1, 2], values: [0.5, 0.25], fallback: 9 },
      { columns: 2 },
    );
    expect([...((await run(numeric, backend, [2, 1, 3, 2])).y as Float32Array)]).toEqual([
      0.25, 0.5, 9, 0.25,
    ]);
  });

  it('SVM regression and one-vs-one votes with linear and RBF kernels', async () => {
    const sv = [
      [0, 0],
      [1, 1],
      [2, 0],
    ];
    const k = (a: number[], b: number[], rbf: boolean) =>
      rbf ? Math.exp(-0.5 * ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2)) : a[0] * b[0] + a[1] * b[1];
    const x = [
      [0.5, 0.2],
      [1.5, 1],
    ];
    for (const rbf of [false, true]) {
      const reg = single(
        {
          kind: 'svm',
          kernel: rbf ? 'rbf' : 'linear',
          gamma: 0.5,
          coef0: 0,
          degree: 3,
          supportVectors: sv,
          coefficients: [[1, -2, 0.5]],
          rho: [0.3],
          post: 'none',
        },
        { columns: 2 },
      );
      const want = x.map((r) => sv.reduce((s, v, j) => s + [1, -2, 0.5][j] * k(r, v, rbf), 0) + 0.3);
      expectClose(
        (await run(reg, backend, x.flat())).y as Float32Array,
        want,
        1e-6,
        1e-6,
        `regression rbf=${rbf}`,
      );
    }
    // Three classes, one support vector each: pair (i, j) decides by coef[j−1][i]·K_i + coef[i][j]·K_j + rho.
    const coef = [
      [1, -1, 1],
      [1, -1, -1],
    ];
    const rho = [0, -0.5, 0.2];
    const ovo = single(
      {
        kind: 'svm',
        kernel: 'linear',
        gamma: 1,
        coef0: 0,
        degree: 1,
        supportVectors: sv,
        coefficients: coef,
        rho,
        vectorsPerClass: [1, 1, 1],
        post: 'none',
      },
      { columns: 2 },
      ['votes', 'decisions'],
    );
    const decisions: number[] = [];
    const votes = x.flatMap((r) => {
      const v = [0, 0, 0];
      let p = 0;
      for (let i = 0; i < 3; i++) {
        for (let j = i + 1; j < 3; j++, p++) {
          const d = coef[j - 1][i] * k(r, sv[i], false) + coef[i][j] * k(r, sv[j], false) + rho[p];
          decisions.push(d);
          v[d > 0 ? i : j]++;
        }
      }
      return v;
    });
    const out = await run(ovo, backend, x.flat());
    expect([...(out.votes as Float32Array)]).toEqual(votes);
    expectClose(out.decisions as Float32Array, decisions, 1e-6, 1e-6, 'decisions');
  });

  it('classifier heads: a threshold on one score column, [−s, s], a second reported input, a post link', async () => {
    const p: Pipeline = {
      source: 'onnx',
      inputs: [{ name: 'x', kind: 'float', columns: 1 }],
      outputs: ['label', 'probabilities'],
      nodes: [
        {
          name: 'head',
          inputs: ['x', 'x'],
          outputs: ['label', 'probabilities'],
          op: { kind: 'classifier', labels: ['no', 'yes'], binary: 'negate', post: 'logistic' },
        },
      ],
    };
    const out = await run(p, backend, [-1, 0, 2]);
    expect(out.label).toEqual(['no', 'no', 'yes']);
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    expectClose(
      out.probabilities as Float32Array,
      [s(1), s(-1), s(0), s(0), s(-2), s(2)],
      1e-6,
      1e-7,
      'negate',
    );
    const thr: Pipeline = {
      ...p,
      nodes: [
        {
          name: 'head',
          inputs: ['x'],
          outputs: ['label', 'probabilities'],
          op: { kind: 'classifier', labels: [3, 7], binary: 'none', threshold: 0.25 },
        },
      ],
    };
    const t = await run(thr, backend, [0.2, 0.25, 0.3]);
    expect(t.label).toEqual([3, 3, 7]);
    expect([...(t.probabilities as Float32Array)].map(Math.fround)).toEqual(
      [0.2, 0.25, 0.3].map(Math.fround),
    );
  });

  it("Platt probabilities couple the pairs as libsvm's method: the minimiser of pᵀQp with Σp = 1", () => {
    // r[i][j] = P(i | i or j) for 3 classes; the float64 solution of the KKT system is the reference.
    const k = 3;
    const pr = [0.8, 0.3, 0.6]; // pairs (0,1), (0,2), (1,2)
    const r = new Float32Array(9);
    [
      [0, 1],
      [0, 2],
      [1, 2],
    ].forEach(([i, j], p) => {
      r[i * k + j] = pr[p];
      r[j * k + i] = 1 - pr[p];
    });
    const Q = Array.from({ length: k }, (_, i) =>
      Array.from({ length: k }, (_, j) =>
        i === j
          ? [...Array(k).keys()].filter((m) => m !== i).reduce((s, m) => s + r[m * k + i] ** 2, 0)
          : -r[j * k + i] * r[i * k + j],
      ),
    );
    // Solve [Q 1; 1ᵀ 0][p; b] = [0; 1] by Gaussian elimination.
    const A = [...Q.map((row) => [...row, 1, 0]), [1, 1, 1, 0, 1]];
    for (let c = 0; c <= k; c++) {
      const piv = A.slice(c).reduce(
        (best, row, i) => (Math.abs(row[c]) > Math.abs(A[best][c]) ? i + c : best),
        c,
      );
      [A[c], A[piv]] = [A[piv], A[c]];
      for (let i = 0; i <= k; i++) {
        if (i === c) continue;
        const m = A[i][c] / A[c][c];
        for (let j = c; j <= k + 1; j++) A[i][j] -= m * A[c][j];
      }
    }
    const exact = Array.from({ length: k }, (_, i) => A[i][k + 1] / A[i][i]);
    const got = coupleProbabilities(k, r);
    // The iteration stops within 0.005 / k of the optimality condition.
    expectClose(got, exact, 0, 5e-3, 'coupled');
    expect(got.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('refuses inputs that do not fit, naming them, and leaks nothing over repeated scoring', async () => {
    const p: Pipeline = single({ kind: 'scaler', offset: [1], scale: [2] }, { columns: 2 });
    const program = compile(p, { backend });
    await expect(program.predict([1, 2, 3])).rejects.toThrow(PipelineError);
    await expect(program.predict([1, 2, 3])).rejects.toThrow(
      /input 'x' has 3 values, not a multiple of its 2 columns/,
    );
    await expect(program.predict({ z: [1, 2] })).rejects.toThrow(/unknown input 'z'; the inputs are 'x'/);
    await expect(program.predict(['a', 'b'])).rejects.toThrow(/input 'x' holds numbers; got strings/);
    const before = T.memory(backend);
    for (let i = 0; i < 20; i++) await program.predict(Float32Array.from([i, 1, 2, 3]));
    expect(T.memory(backend).liveTensors).toBe(before.liveTensors);
    expect(T.memory(backend).liveBuffers).toBe(before.liveBuffers);
    program.dispose();
    await expect(program.predict([1, 2])).rejects.toThrow(/disposed/);
    expect(() => compile(p, { backend, strategy: 'fastest' as never })).toThrow(
      /strategy must be one of auto, hummingbird, gemm/,
    );
  });
});

describe.each(
  list,
)("onnxruntime's NaN conventions and labels read by other operators on %s", (_name, backend) => {
  it('a classifier label renamed by a label encoder, selected, and NaN in argmax, trunc, largest and keys', async () => {
    const p: Pipeline = {
      source: 'onnx',
      inputs: [{ name: 'x', kind: 'float', columns: 2 }],
      outputs: ['named', 'numeric', 'largest', 'truncated', 'keyed'],
      nodes: [
        {
          name: 'head',
          inputs: ['x'],
          outputs: ['label', 'probabilities'],
          op: { kind: 'classifier', labels: [10, 20], binary: 'none' },
        },
        {
          name: 'rename',
          inputs: ['label'],
          outputs: ['named'],
          op: { kind: 'labelEncoder', keys: [10, 20], values: ['ten', 'twenty'], fallback: '?' },
        },
        { name: 'pick', inputs: ['label'], outputs: ['numeric'], op: { kind: 'select', indices: [0] } },
        { name: 'norm', inputs: ['x'], outputs: ['largest'], op: { kind: 'normalizer', norm: 'largest' } },
        { name: 'trunc', inputs: ['x'], outputs: ['truncated'], op: { kind: 'activation', fn: 'trunc' } },
        {
          name: 'keys',
          inputs: ['x'],
          outputs: ['keyed'],
          op: { kind: 'labelEncoder', keys: [Number.NaN, 2.5], values: [1, 2], fallback: 0 },
        },
      ],
    };
    const nan = Number.NaN;
    const out = await run(p, backend, [0, nan, nan, 0, 2.5, -3.7]);
    // (0, NaN) → 0 and (NaN, 0) → 0: a NaN never beats the running best, nor is a NaN first beaten.
    expect(out.named).toEqual(['ten', 'ten', 'ten']);
    expect([...(out.numeric as Float32Array)]).toEqual([10, 10, 10]);
    expectClose(out.largest as Float32Array, [0, nan, nan, 0, 1, -3.7 / 2.5], 1e-6, 0, 'largest');
    expectClose(out.truncated as Float32Array, [0, nan, nan, 0, 2, -3], 0, 0, 'trunc');
    expect([...(out.keyed as Float32Array)]).toEqual([0, 1, 1, 0, 2, 0]);
  });

  it('a label encoder with no keys maps everything to its fallback', async () => {
    const p = single({ kind: 'labelEncoder', keys: [], values: [], fallback: 4 }, { columns: 1 });
    expect([...((await run(p, backend, [1, 2])).y as Float32Array)]).toEqual([4, 4]);
  });
});
