// Fits a two-layer network to y = sin(3x₀)·cos(2x₁) on the best available backend, with autograd
// and plain gradient descent, and reports the backend, the loss curve and the time taken.
import * as T from '@tessera/tensor';

const STEPS = 300;
const BATCH = 256;
const HIDDEN = 64;

function target(x: T.Tensor): T.Tensor {
  const [x0, x1] = T.split(x, 1, 1);
  return T.mul(T.sin(T.mul(x0, 3)), T.cos(T.mul(x1, 2)));
}

async function main(): Promise<void> {
  const choice = (process.env.TESSERA_BACKEND ?? 'auto') as T.InitOptions['backend'];
  const backend = await T.init({ backend: choice, onFallback: (why) => console.log(`note: ${why}`) });
  console.log(`backend: ${backend.name} — ${backend.description}`);

  const gen = new T.Generator(42);
  const opts = { backend, generator: gen };
  const params = {
    w1: T.mul(T.randn([HIDDEN, 2], opts), Math.sqrt(2 / 2)),
    b1: T.zeros([HIDDEN], { backend }),
    w2: T.mul(T.randn([1, HIDDEN], opts), Math.sqrt(1 / HIDDEN)),
    b2: T.zeros([1], { backend }),
  };
  const names = Object.keys(params) as (keyof typeof params)[];
  const forward = (x: T.Tensor, p: Record<keyof typeof params, T.Tensor>) =>
    T.linear(T.tanh(T.linear(x, p.w1, p.b1)), p.w2, p.b2);
  const lossOf = (x: T.Tensor, p: Record<keyof typeof params, T.Tensor>) =>
    T.mean(T.square(T.sub(forward(x, p), target(x))));

  const start = performance.now();
  let lr = 0.03;
  for (let step = 1; step <= STEPS; step++) {
    // Everything a step creates is freed at the end of its tidy scope, except what it returns.
    const loss = T.tidy(() => {
      const x = T.sub(T.mul(T.rand([BATCH, 2], opts), 2), 1);
      const [value, grads] = T.valueAndGrad((...ps: T.Tensor[]) =>
        lossOf(x, Object.fromEntries(names.map((n, i) => [n, ps[i]])) as never),
      )(...names.map((n) => params[n]));
      T.noGrad(() =>
        names.forEach((n, i) => {
          const next = T.keep(T.sub(params[n], T.mul(grads[i], lr)));
          params[n].dispose();
          params[n] = next;
        }),
      );
      return value;
    });
    if (process.env.DEMO_DEBUG || step % 50 === 0 || step === 1)
      console.log(`step ${String(step).padStart(4)}  loss ${(await loss.item()).toFixed(5)}`);
    loss.dispose();
    if (step === 200) lr = 0.01;
  }
  const seconds = (performance.now() - start) / 1000;
  const heldLoss = T.tidy(() => T.noGrad(() => lossOf(T.sub(T.mul(T.rand([4096, 2], opts), 2), 1), params)));
  const held = await heldLoss.item();
  heldLoss.dispose();
  console.log(
    `held-out loss ${held.toFixed(5)} after ${STEPS} steps in ${seconds.toFixed(2)} s on ${backend.name}`,
  );
  console.log(`live buffers ${T.memory(backend).liveBuffers}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
