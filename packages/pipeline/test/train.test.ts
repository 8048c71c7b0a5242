// The pipeline as a trainable network: before training its hard forward pass is exactly the
// compiled pipeline; the relaxed pass approaches it as the temperature falls; gradients of the
// relaxed pass match finite differences; training lowers the loss; the trained parameters come back
// as a pipeline that compiles to the network's hard pass.
import { AdamW } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { compile, type Pipeline, type Tree, toTrainable } from '../src/index.js';
import { backends, expectClose, rng } from './helpers.js';

const list = await backends();

/** A full tree of `depth` over `f` features with thresholds in [-1, 1] and random leaf values. */
function fullTree(r: () => number, depth: number, f: number, outputs: number): Tree {
  const n = 2 ** (depth + 1) - 1;
  const inner = 2 ** depth - 1;
  return {
    feature: Int32Array.from({ length: n }, (_, v) => (v < inner ? Math.floor(r() * f) : -1)),
    threshold: Float64Array.from({ length: n }, (_, v) => (v < inner ? r() * 2 - 1 : 0)),
    rule: Array.from({ length: n }, () => 'leq' as const),
    trueChild: Int32Array.from({ length: n }, (_, v) => (v < inner ? 2 * v + 1 : -1)),
    falseChild: Int32Array.from({ length: n }, (_, v) => (v < inner ? 2 * v + 2 : -1)),
    missingTrue: Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)),
    leafValues: Float64Array.from({ length: n * outputs }, (_, i) =>
      Math.floor(i / outputs) >= inner ? r() * 2 - 1 : 0,
    ),
  };
}

/** scaler → forest of 6 trees (3 class scores) → linear mix → softmax classifier. */
function classifierPipeline(seed: number): Pipeline {
  const r = rng(seed);
  return {
    source: 'sklearn',
    inputs: [{ name: 'x', kind: 'float', columns: 4 }],
    outputs: ['label', 'probabilities'],
    nodes: [
      {
        name: 'scale',
        inputs: ['x'],
        outputs: ['s'],
        op: { kind: 'scaler', offset: [0.1, 0, -0.2, 0], scale: [1, 2, 0.5, 1] },
      },
      {
        name: 'forest',
        inputs: ['s'],
        outputs: ['t'],
        op: {
          kind: 'trees',
          trees: Array.from({ length: 6 }, () => fullTree(r, 3, 4, 3)),
          outputs: 3,
          aggregate: 'average',
          base: [0, 0, 0],
          post: 'none',
        },
      },
      {
        name: 'mix',
        inputs: ['t'],
        outputs: ['z'],
        op: {
          kind: 'linear',
          weights: [
            [2, 0, 0],
            [0, 2, 0],
            [0, 0, 2],
          ],
          bias: [0, 0.1, -0.1],
          post: 'softmax',
        },
      },
      {
        name: 'head',
        inputs: ['z'],
        outputs: ['label', 'probabilities'],
        op: { kind: 'classifier', labels: [0, 1, 2], binary: 'none' },
      },
    ],
  };
}

function data(seed: number, rows: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: rows * 4 }, (_, i) => (i % 17 === 3 ? Number.NaN : r() * 2 - 1));
}

describe.each(list)('trainable pipelines on %s', (_name, backend) => {
  it('before training, the hard pass is exactly the compiled pipeline, and the soft pass approaches it', async () => {
    const p = classifierPipeline(1);
    const x = data(2, 200);
    const program = compile(p, { backend });
    const want = await program.predict(x);
    program.dispose();
    const net = toTrainable(p, { backend, calibration: x });
    const xt = T.tensor(x, { shape: [200, 4], backend });
    const hard = net.forward(xt, { hard: true });
    expect([...(await hard.label.data())].map(Number)).toEqual(want.label);
    expectClose(await hard.probabilities.data(), want.probabilities as Float32Array, 1e-6, 1e-7, 'hard');
    const gap = async (t: number) => {
      net.temperature = t;
      const soft = (await net.forward(xt).probabilities.data()) as Float32Array;
      const w = want.probabilities as Float32Array;
      return soft.reduce((s, v, i) => s + Math.abs(v - w[i]), 0) / soft.length;
    };
    const [coarse, fine] = [await gap(0.3), await gap(0.003)];
    // A cooler relaxation is closer to the hard trees: only rows within ~t·σ of a threshold differ.
    expect(fine).toBeLessThan(coarse / 5);
    expect(fine).toBeLessThan(0.01);
    net.dispose();
  });

  it('gradients of the relaxed pass match finite differences', async () => {
    const p = classifierPipeline(3);
    const x = T.tensor(data(4, 12), { shape: [12, 4], backend });
    const net = toTrainable(p, { backend, temperature: 0.5 });
    const weights = T.tensor(
      Float32Array.from({ length: 36 }, (_, i) => ((i * 7) % 5) - 2),
      { shape: [12, 3], backend },
    );
    const loss = () => T.sum(T.mul(net.forward(x).probabilities, weights));
    const params = net.namedParameters();
    T.tidy(() => loss().backward());
    const eps = 1e-2;
    let checked = 0;
    for (const [name, param] of params) {
      const analytic = await (param.grad as T.Tensor).data();
      const values = await param.data();
      // A few entries per parameter: the largest gradients (a zero gradient checks nothing).
      const order = [...analytic.keys()]
        .sort((a, b) => Math.abs(analytic[b]) - Math.abs(analytic[a]))
        .slice(0, 3);
      for (const i of order) {
        const at = async (d: number) => {
          const v = values.slice();
          v[i] += d;
          T.noGrad(() => param.assign(T.tensor(v, { shape: [...param.shape], backend })));
          return T.noGrad(() => loss().item());
        };
        const numeric = ((await at(eps)) - (await at(-eps))) / (2 * eps);
        await at(0);
        // Central differences in float32 with eps 1e-2: about 1e-3 absolute on gradients of ~1.
        expect(Math.abs(numeric - analytic[i]), `${name}[${i}]`).toBeLessThan(
          2e-3 + 2e-2 * Math.abs(numeric),
        );
        checked++;
      }
    }
    expect(checked).toBe(params.length * 3);
    net.dispose();
  });

  it('training lowers the loss, and the trained pipeline compiles to the hard pass', async () => {
    const p = classifierPipeline(5);
    const x = data(6, 256);
    const xt = T.tensor(x, { shape: [256, 4], backend });
    // Targets from a different rule than the pipeline's: the sign pattern of two features.
    const y = T.tensor(
      Int32Array.from({ length: 256 }, (_, r) => (x[r * 4] > 0 ? 1 : 0) + (x[r * 4 + 1] > 0.3 ? 1 : 0)),
      { backend },
    );
    const net = toTrainable(p, { backend, calibration: x, temperature: 0.2 });
    const opt = new AdamW(net.parameters(), { lr: 0.05, weightDecay: 0 });
    const ce = () => T.crossEntropy(T.log(T.add(net.forward(xt).probabilities, 1e-9)), y);
    const first = await T.noGrad(() => ce().item());
    for (let step = 0; step < 40; step++) {
      opt.zeroGrad();
      T.tidy(() => {
        const l = ce();
        l.backward();
      });
      await opt.step();
    }
    const last = await T.noGrad(() => ce().item());
    expect(last).toBeLessThan(first * 0.7);
    const trained = await net.toPipeline();
    const program = compile(trained, { backend });
    const got = await program.predict(x);
    const hard = net.forward(xt, { hard: true });
    expect(got.label).toEqual([...(await hard.label.data())]);
    expectClose(got.probabilities as Float32Array, await hard.probabilities.data(), 1e-6, 1e-7, 'trained');
    program.dispose();
    opt.dispose();
    net.dispose();
  });
});

describe('trainable pipelines through encoders', () => {
  it('a one-hot encoder of numeric categories (unknown: zeros) runs inside the network', async () => {
    const p: Pipeline = {
      source: 'sklearn',
      inputs: [{ name: 'x', kind: 'float', columns: 1 }],
      outputs: ['y'],
      nodes: [
        {
          name: 'hot',
          inputs: ['x'],
          outputs: ['h'],
          op: { kind: 'oneHot', categories: [[1, 2, 3]], unknown: 'zeros' },
        },
        {
          name: 'lin',
          inputs: ['h'],
          outputs: ['y'],
          op: { kind: 'linear', weights: [[1, 2, 3]], bias: [0.5], post: 'none' },
        },
      ],
    };
    const net = toTrainable(p, { backend: T.cpuBackend });
    const y = net.forward(T.tensor(Float32Array.from([2, 3, 9]), { shape: [3, 1], backend: T.cpuBackend })).y;
    expect([...(await y.data())]).toEqual([2.5, 3.5, 0.5]);
    net.dispose();
  });
});
