// The example of this package's README (test/examples.test.ts runs it).
import { AdamW, Linear, Module, type ModuleOptions } from '@tessera/nn';
import * as T from '@tessera/tensor';

class MLP extends Module {
  fc1: Linear;
  fc2: Linear;
  constructor(options: ModuleOptions) {
    super();
    this.fc1 = this.child('fc1', new Linear(1, 32, options));
    this.fc2 = this.child('fc2', new Linear(32, 1, options));
  }
  forward(x: T.Tensor): T.Tensor {
    return this.fc2.forward(T.tanh(this.fc1.forward(x)));
  }
}

/** Fits y = sin(2x) on [−2, 2); returns the losses at steps 100, 200, 300 and the parameter names. */
export async function fitSine(): Promise<{ losses: number[]; names: string[] }> {
  await T.init({ backend: 'auto' });
  const model = new MLP({ generator: new T.Generator(0) });
  const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
  const x = T.reshape(T.arange(-2, 2, 0.05), [-1, 1]);
  const y = T.sin(T.mul(x, 2));
  const losses: number[] = [];
  for (let step = 1; step <= 300; step++) {
    const loss = T.tidy(() => {
      const l = T.mean(T.square(T.sub(model.forward(x), y)));
      l.backward();
      return l;
    });
    opt.step();
    opt.zeroGrad();
    if (step % 100 === 0) losses.push(await loss.item());
    loss.dispose();
  }
  const names = Object.keys(model.stateDict()); // [ 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias' ]
  opt.dispose();
  model.dispose();
  return { losses, names };
}
