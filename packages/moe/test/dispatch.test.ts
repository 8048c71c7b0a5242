import { readFileSync } from 'node:fs';
import * as T from '@tessera/tensor';
import { type Backend, cpuBackend, Generator, type WebGPUBackend } from '@tessera/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { groupedMatmul } from '../src/dispatch/grouped-op.js';
import {
  type Assignment,
  assignSlots,
  type DispatchKind,
  dispatch,
  ExpertBank,
  MoE,
  MoEError,
  stackExpertState,
  TopKRouter,
  unstackExpertState,
} from '../src/index.js';
import { backends, expectClose } from './helpers.js';

interface Fx {
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/torch-moe-layer.json', import.meta.url), 'utf8'),
) as {
  dim: number;
  hidden: number;
  experts: number;
  k: number;
  x: Fx;
  state: Record<string, Fx>;
  out: number[];
  selected: number[];
  probe: number[];
  grad_x: number[];
  grads: Record<string, Fx>;
};

const KINDS: DispatchKind[] = ['naive', 'capacity', 'dropless'];
const list = await backends();
const data = async (t: T.Tensor) => [...(await t.data())];

/** A random layer and batch on `backend`. */
function setup(
  backend: Backend,
  dim: number,
  hidden: number,
  E: number,
  k: number,
  tokens: number,
  seed = 1,
) {
  const g = new Generator(seed);
  const router = new TopKRouter(dim, E, k, { backend, generator: g });
  const bank = new ExpertBank(dim, hidden, E, { backend, generator: g });
  const x = T.randn([tokens, dim], { backend, generator: g });
  return { router, bank, x };
}

describe.each(list)('dispatch on %s', (name, backend) => {
  it('matches PyTorch MixtralSparseMoeBlock, forward and gradients, for every dispatch', async () => {
    const { dim, hidden, experts: E, k } = fixture;
    const state = Object.fromEntries(
      Object.entries(fixture.state).map(([n, v]) => [n, T.tensor(v.data, { shape: v.shape, backend })]),
    );
    for (const kind of KINDS) {
      // Capacity mode with the layer's full capacity (factor E / k: tokens slots per expert) drops
      // nothing, so it must agree with the dropless reference.
      const moe = new MoE(dim, hidden, E, { backend, k, kind, capacityFactor: E / k });
      moe.loadStateDict(state);
      const x = T.tensor(fixture.x.data, { shape: fixture.x.shape, backend }).requireGrad();
      const { output, assignment } = moe.forward(x);
      expect(output.shape).toEqual(fixture.x.shape);
      expect(await data(assignment.experts)).toEqual(fixture.selected);
      // Default tolerances of f32 against PyTorch's f32, whose sums run in another order.
      expectClose(await output.data(), fixture.out, 1e-4, 1e-5, `${name} ${kind} out`);
      const probe = T.tensor(fixture.probe, { shape: fixture.x.shape, backend });
      T.sum(T.mul(output, probe)).backward();
      expectClose(await (x.grad as T.Tensor).data(), fixture.grad_x, 1e-4, 1e-5, `${kind} grad x`);
      const grads = unstackExpertState(
        Object.fromEntries(moe.namedParameters().map(([n, p]) => [n, p.grad as T.Tensor])),
      );
      for (const [n, g] of Object.entries(fixture.grads)) {
        expectClose(await grads[n].data(), g.data, 1e-4, 1e-5, `${kind} grad ${n}`);
      }
    }
  });

  it('the three dispatches agree, with capacity drops honoured by all', async () => {
    const { router, bank, x } = setup(backend, 5, 7, 4, 2, 11);
    const a = router.forward(x);
    // Capacity factor E / k gives every expert room for all tokens: nothing dropped.
    const outs = KINDS.map((kind) => dispatch(x, a, bank, { kind, capacityFactor: 2 }));
    // The kinds sum the same products in different orders: f32 rounding apart.
    for (const o of outs.slice(1)) expectClose(await o.data(), await outs[0].data(), 1e-4, 1e-5, name);

    // Capacity 2 per expert for 22 choices over 4 experts: some are dropped.
    const capacity = 2;
    const dropped = await assignSlots(a, capacity).dropped.data();
    expect(dropped.filter((d) => d).length).toBeGreaterThan(0);
    const cap = await dispatch(x, a, bank, { kind: 'capacity', capacity }).data();
    const withDrops: Assignment = { ...a, dropped: assignSlots(a, capacity).dropped };
    for (const kind of ['naive', 'dropless'] as const) {
      expectClose(await dispatch(x, withDrops, bank, { kind }).data(), cap, 1e-4, 1e-5, `${name} ${kind}`);
    }
    // A token whose every choice was dropped gets nothing from the layer.
    const dim = 5;
    let allDropped = 0;
    for (let t = 0; t < 11; t++) {
      if (dropped[2 * t] && dropped[2 * t + 1] && ++allDropped)
        expect([...cap.slice(t * dim, (t + 1) * dim)]).toEqual(new Array(dim).fill(0));
    }
    expect(allDropped).toBeGreaterThan(0);
    // Fairseq's order: first choices take the slots before any second choice.
    const experts = await data(a.experts);
    const pos = await data(assignSlots(a, capacity).positions);
    for (let e = 0; e < 4; e++) {
      const firsts = experts.filter((v, i) => v === e && i % 2 === 0).length;
      for (let i = 1; i < 22; i += 2) if (experts[i] === e) expect(pos[i]).toBeGreaterThanOrEqual(firsts);
    }
  });

  it("capacity mode keeps the router's own slots, not arrival order", async () => {
    const { bank, x } = setup(backend, 4, 5, 2, 1, 2, 7);
    // Both tokens to expert 0; the router gives the later token slot 0, so capacity 1 drops the first.
    const a: Assignment = {
      numExperts: 2,
      experts: T.tensor([[0], [0]], { dtype: 'i32', backend }),
      weights: T.tensor([[1], [1]], { backend }),
      positions: T.tensor([[1], [0]], { dtype: 'i32', backend }),
      probs: T.zeros([2, 2], { backend }),
      logits: T.zeros([2, 2], { backend }),
    };
    const out = await data(dispatch(x, a, bank, { kind: 'capacity', capacity: 1 }));
    expect(out.slice(0, 4)).toEqual([0, 0, 0, 0]);
    // The expert alone, through a plain linear instead of the batched matmul: rounding apart at most.
    expectClose(out.slice(4), await data(bank.expert(0, T.narrow(x, 0, 1, 1))), 1e-5, 1e-6, name);
  });

  it('an empty batch gives an empty output on every path', async () => {
    const moe = new MoE(4, 5, 3, { backend });
    for (const kind of KINDS) {
      const x = T.zeros([0, 4], { backend });
      expect(dispatch(x, moe.router.forward(x), moe.experts, { kind }).shape).toEqual([0, 4]);
    }
  });

  it('a leak loop of forward and backward stays flat', async () => {
    const x = T.randn([2, 3, 4], { backend, generator: new Generator(6) });
    for (const kind of KINDS) {
      const moe = new MoE(4, 6, 3, { backend, generator: new Generator(5), sharedHidden: 5, kind });
      const step = async () => {
        await T.tidy(async () => {
          const { output } = moe.forward(x);
          T.sum(T.square(output)).backward();
          await output.data();
        });
        moe.zeroGrad();
      };
      await step();
      const before = T.memory(backend);
      for (let i = 0; i < 3; i++) await step();
      const after = T.memory(backend);
      expect(after.liveTensors).toBe(before.liveTensors);
      expect(after.liveBytes).toBe(before.liveBytes);
    }
  });
});

describe('dispatch gradients against finite differences (cpu)', () => {
  it.each(KINDS)('%s: x, the router and the experts', async (kind) => {
    const moe = new MoE(3, 4, 3, { backend: cpuBackend, generator: new Generator(9), kind, capacity: 2 });
    const x = T.randn([4, 3], { generator: new Generator(10) }).requireGrad();
    const w = T.randn([4, 3], { generator: new Generator(11) });
    const loss = () => T.sum(T.mul(moe.forward(x).output, w));
    moe.zeroGrad();
    loss().backward();
    const eps = 1e-2;
    const chosen = async () => data(T.noGrad(() => moe.forward(x).assignment.experts));
    const base = await chosen();
    let checked = 0;
    for (const p of [x, moe.stateDict()['gate.weight'], moe.experts.w1, moe.experts.w2, moe.experts.w3]) {
      const analytic = await data(p.grad as T.Tensor);
      const values = await data(p);
      const [a, numeric]: number[][] = [[], []];
      const set = (v: number[]) => T.noGrad(() => p.assign(T.tensor(v, { shape: [...p.shape] })));
      for (let i = 0; i < values.length; i++) {
        const at = async (d: number) => {
          set(values.map((v, j) => (j === i ? v + d : v)));
          const flipped = (await chosen()).some((e, j) => e !== base[j]);
          return flipped ? Number.NaN : T.tidy(() => T.noGrad(loss)).item();
        };
        const slope = ((await at(eps)) - (await at(-eps))) / (2 * eps);
        set(values);
        // A step that changes the routing crosses a jump of the layer: no derivative there.
        if (Number.isNaN(slope)) continue;
        a.push(analytic[i]);
        numeric.push(slope);
      }
      checked += a.length;
      // f32 central differences with eps 1e-2: truncation and rounding both near 1e-3.
      expectClose(a, numeric, 2e-2, 2e-3, `${kind} d/d${p.shape}`);
    }
    expect(checked).toBeGreaterThan(100);
  });
});

describe('dispatch kernel count on webgpu', () => {
  const gpu = list.find(([n]) => n === 'webgpu')?.[1] as WebGPUBackend | undefined;
  it.skipIf(!gpu)('dropless and capacity launch as many kernels for 2 experts as for 16', async () => {
    const g = gpu as WebGPUBackend;
    const count = async (kind: DispatchKind, E: number) => {
      const { router, bank, x } = setup(g, 8, 8, E, 2, 16, 3);
      const a = T.noGrad(() => router.forward(x));
      for (const t of [a.experts, a.weights]) await t.data();
      const before = g.ctx.dispatches;
      await T.tidy(() => dispatch(x, a, bank, { kind })).data();
      return g.ctx.dispatches - before;
    };
    for (const kind of ['dropless', 'capacity'] as const)
      expect(await count(kind, 16)).toBe(await count(kind, 2));
    // The per-expert loop, for contrast, grows with E.
    expect(await count('naive', 16)).toBeGreaterThan(await count('naive', 2));
  });
});

// The tiled WebGPU kernels again under a loop budget that lets them run but cuts their sums into
// parts added to one another: 1700 loop steps allow 17 of k a dispatch with 3 experts, and 54 rows
// of a group in the weight gradient.
const tightGpu = list.some(([n]) => n === 'webgpu')
  ? await T.createWebGPUBackend({ loopBudget: 1700 })
  : undefined;
afterAll(() => tightGpu?.ctx.destroy());
const groupedList: [string, Backend][] = tightGpu ? [...list, ['webgpu, loop budget 1700', tightGpu]] : list;

describe.each(groupedList)('grouped matmul on %s', (name, backend) => {
  it('equals a per-row matmul by its expert, forward and gradients, over random shapes', async () => {
    const g = new Generator(20);
    for (const [n, E, M, K] of [
      [1, 1, 1, 1],
      [7, 3, 5, 9],
      [13, 4, 17, 6],
      // Experts of 32 rows and more, where WebGPU runs its tiled kernels: 67 and 133 rows, one
      // expert empty, a tile holding two experts, experts across tiles, sums longer than a slice.
      [200, 3, 70, 40],
    ]) {
      // Rows sorted by expert, unevenly: squares mod 3 or 4 leave some experts without rows.
      const group = Array.from({ length: n }, (_, i) => (i * i + 3) % E).sort((u, v) => u - v);
      const offsets = [0, ...Array.from({ length: E }, (_, e) => group.filter((v) => v <= e).length)];
      const x = T.randn([n, K], { backend, generator: g }).requireGrad();
      const w = T.randn([E, M, K], { backend, generator: g }).requireGrad();
      const probe = T.randn([n, M], { backend, generator: g });
      const gi = T.tensor(group, { dtype: 'i32', backend });
      const oi = T.tensor(offsets, { dtype: 'i32', backend });
      const got = groupedMatmul(x, w, gi, oi);
      T.sum(T.mul(got, probe)).backward();
      const [gx, gw] = [await data(x.grad as T.Tensor), await data(w.grad as T.Tensor)];
      x.setGrad(null);
      w.setGrad(null);
      // Reference: each row's expert weight gathered, then a batched matrix-vector product.
      const ref = T.squeeze(T.matmul(T.indexSelect(w, 0, gi), T.unsqueeze(x, -1)), -1);
      T.sum(T.mul(ref, probe)).backward();
      // Sums of up to 70 products (133 for the weight gradient) in another order: f32 rounding
      // apart.
      expectClose(await got.data(), await ref.data(), 1e-4, 1e-5, `${name} [${n}, ${E}, ${M}, ${K}] out`);
      expectClose(gx, await data(x.grad as T.Tensor), 1e-4, 1e-5, `${name} grad x`);
      expectClose(gw, await data(w.grad as T.Tensor), 1e-4, 1e-5, `${name} grad w`);
    }
  });
});

describe('MoE layer', () => {
  it('names its parameters as Mixtral and Qwen2-MoE do, and adds the gated shared expert', async () => {
    const moe = new MoE(4, 6, 3, { sharedHidden: 5, generator: new Generator(12) });
    expect(Object.keys(moe.stateDict())).toEqual([
      'gate.weight',
      'experts.w1',
      'experts.w2',
      'experts.w3',
      'shared_expert.gate_proj.weight',
      'shared_expert.up_proj.weight',
      'shared_expert.down_proj.weight',
      'shared_expert_gate.weight',
    ]);
    const x = T.randn([5, 4], { generator: new Generator(13) });
    const { output, assignment } = moe.forward(x);
    const routed = dispatch(x, assignment, moe.experts);
    const shared = moe.shared_expert?.forward(x) as T.Tensor;
    const gate = T.sigmoid(T.matmul(x, T.transpose(moe.stateDict()['shared_expert_gate.weight'], 0, 1)));
    // The same ops in the same order (linear as matmul by the transpose): equal to rounding.
    expectClose(await output.data(), await T.add(routed, T.mul(gate, shared)).data(), 1e-6, 1e-7, 'shared');
  });

  it('takes another router, whose parameters are named router.*', () => {
    const router = new TopKRouter(4, 3, 1);
    const moe = new MoE(4, 6, 3, { router });
    expect(Object.keys(moe.stateDict())[0]).toBe('router.gate.weight');
    expect(moe.forward(T.zeros([2, 4])).assignment.experts.shape).toEqual([2, 1]);
  });
});

describe('grouped matmul within a capped loop budget (webgpu)', async () => {
  const gpu = list.find(([n]) => n === 'webgpu');
  // A budget of 32 loop steps per invocation cuts the 40- and 48-long sums and the 36-row groups
  // into parts, each added to the last, as on adapters with a loop limiter and large layers.
  const capped = gpu ? await T.createWebGPUBackend({ loopBudget: 32 }) : undefined;
  afterAll(() => capped?.ctx.destroy());
  it.skipIf(!capped)('dropless forward and gradients equal the per-expert reference', async () => {
    const c = capped as WebGPUBackend;
    const { router, bank, x } = setup(c, 40, 48, 3, 2, 36, 4);
    // A uniform router: ties go to the lower ids, so experts 0 and 1 each get all 36 tokens.
    router.gate.weight.assign(T.zeros([3, 40], { backend: c }));
    x.requireGrad();
    const run = async (kind: DispatchKind) => {
      for (const p of [x, ...bank.parameters(), ...router.parameters()]) p.setGrad(null);
      const out = dispatch(x, router.forward(x), bank, { kind });
      T.sum(T.square(out)).backward();
      return Promise.all(
        [out, x.grad, bank.w1.grad, bank.w2.grad, router.gate.weight.grad].map((t) => data(t as T.Tensor)),
      );
    };
    const [ref, got] = [await run('naive'), await run('dropless')];
    // Sums of 40–48 products in another order: a few f32 roundings apart.
    for (const [i, r] of ref.entries()) expectClose(got[i], r, 1e-4, 1e-5, `output/gradient ${i}`);
  });
});

describe('bad input', () => {
  it('names the argument, the expected and the actual value, and changes nothing', async () => {
    const { router, bank, x } = setup(cpuBackend, 4, 5, 3, 2, 6);
    const a = router.forward(x);
    expect(() => dispatch(T.zeros([6, 5]), a, bank)).toThrow(MoEError);
    expect(() => dispatch(T.zeros([6, 5]), a, bank)).toThrow(
      /dispatch: x must be f32 \[tokens, 4\], got f32\[6, 5\]/,
    );
    expect(() => dispatch(T.zeros([5, 4]), a, bank)).toThrow(
      /assignment experts must be \[5, k\], got \[6, 2\]/,
    );
    expect(() => dispatch(x, { ...a, numExperts: 4 }, bank)).toThrow(
      /numExperts must be 3 \(the bank's\), got 4/,
    );
    expect(() => dispatch(x, a, bank, { kind: 'capacity', capacity: 0 })).toThrow(
      /capacity must be an integer in \[1, /,
    );
    expect(() => dispatch(x, a, bank, { kind: 'capacity', capacityFactor: -1 })).toThrow(
      /factor must be > 0, got -1/,
    );
    expect(() => dispatch(x, a, bank, { kind: 'dense' as DispatchKind })).toThrow(
      /kind must be .*got 'dense'/,
    );
    expect(() => dispatch(x, { ...a, weights: T.zeros([6, 3]) }, bank)).toThrow(
      /assignment weights must be \[6, 2\] like its experts, got \[6, 3\]/,
    );
    expect(() => dispatch(x, { ...a, experts: T.cast(a.experts, 'f32') }, bank)).toThrow(
      /assignment experts must be i32, got f32/,
    );
    const moe = new MoE(4, 5, 3);
    expect(() => moe.forward(T.zeros([4]))).toThrow(
      /MoE.forward: x must be \[tokens, 4\] or \[batch, seq, 4\], got \[4\]/,
    );
    const before = await data(moe.experts.w1);
    const partial = {
      'gate.weight': T.zeros([3, 4]),
      'experts.0.w1.weight': T.zeros([5, 4]),
      'experts.2.w1.weight': T.zeros([5, 4]),
    };
    expect(() => moe.loadStateDict(partial)).toThrow(
      /experts.N.w1.weight for every N in \[0, 2\], missing N = 1/,
    );
    expect(() => stackExpertState(partial)).toThrow(MoEError);
    expect(await data(moe.experts.w1)).toEqual(before);
  });
});
