import { fmt, ShapeError } from './errors.js';
import { adopt, tidy } from './memory.js';
import { sameShape } from './shape.js';
import type { Tensor } from './tensor.js';

let gradEnabled = true;

/** Whether ops currently record the graph. */
export const isGradEnabled = (): boolean => gradEnabled;

/** Runs `fn` without recording gradients (like `torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    const r = fn();
    if (r instanceof Promise) {
      return r.finally(() => {
        gradEnabled = prev;
      }) as T;
    }
    gradEnabled = prev;
    return r;
  } catch (e) {
    gradEnabled = prev;
    throw e;
  }
}

// Injected by rules/index.ts so that this module does not import every op.
type GradFn = (out: Tensor, g: Tensor) => (Tensor | null)[];
type AddFn = (a: Tensor, b: Tensor) => Tensor;
type LikeFn = (like: Tensor) => Tensor;
let gradOf: GradFn;
let addT: AddFn;
let onesLike: LikeFn;
let cloneT: LikeFn;
/** @internal */
export function installAutograd(g: GradFn, add: AddFn, ones: LikeFn, clone: LikeFn): void {
  gradOf = g;
  addT = add;
  onesLike = ones;
  cloneT = clone;
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length) {
    const [t, done] = stack.pop()!;
    if (done) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    for (const i of t.node?.inputs ?? []) if (i.requiresGrad && !seen.has(i)) stack.push([i, false]);
  }
  return order.reverse();
}

/**
 * Reverse-mode differentiation from `root`: adds d(root)/d(leaf) into `leaf.grad` of every leaf that
 * requires gradients (accumulating over calls, like PyTorch). `gradient` defaults to ones for a
 * scalar root. Intermediate gradients are freed before it returns.
 */
export function backward(root: Tensor, gradient?: Tensor): void {
  root.assertAlive('backward');
  if (!root.requiresGrad)
    throw new TypeError(
      'backward: the tensor does not require gradients (no leaf it depends on called requireGrad())',
    );
  if (!gradient && root.size !== 1) {
    throw new ShapeError(
      `backward: a gradient is needed for a non-scalar output, got shape ${fmt(root.shape)}`,
    );
  }
  if (gradient && !sameShape(gradient.shape, root.shape)) {
    throw new ShapeError(
      `backward: gradient shape ${fmt(gradient.shape)} must equal output shape ${fmt(root.shape)}`,
    );
  }
  noGrad(() =>
    tidy(() => {
      const grads = new Map<Tensor, Tensor>();
      grads.set(root, gradient ?? onesLike(root));
      for (const t of topoOrder(root)) {
        const g = grads.get(t);
        if (!g) continue;
        if (!t.node) {
          // A fresh tensor: `g` may be shared with other leaves or be the caller's `gradient`.
          t.setGrad(t.grad ? addT(t.grad, g) : cloneT(g));
          continue;
        }
        const inputGrads = gradOf(t, g);
        t.node.inputs.forEach((input, i) => {
          const gi = inputGrads[i];
          if (!gi || !input.requiresGrad) return;
          const prev = grads.get(input);
          grads.set(input, prev ? addT(prev, gi) : gi);
        });
      }
    }),
  );
}

/**
 * `grad(f)` is a function that returns the gradients of the scalar `f(...args)` with respect to each
 * argument, like `jax.grad` over all arguments. The arguments are not modified.
 */
export function grad(f: (...args: Tensor[]) => Tensor): (...args: Tensor[]) => Tensor[] {
  return (...args) => valueAndGrad(f)(...args)[1];
}

/** Like {@link grad}, also returning the value `f(...args)`. */
export function valueAndGrad(f: (...args: Tensor[]) => Tensor): (...args: Tensor[]) => [Tensor, Tensor[]] {
  return (...args) => {
    const leaves = args.map((a) => detachedLeaf(a));
    try {
      const value = tidy(() => {
        const y = f(...leaves);
        backward(y);
        return y;
      });
      // Leaf gradients were kept out of every scope; returned to the caller, they belong to its scope.
      const grads = leaves.map((l) => {
        const g = l.grad ? adopt(l.grad) : zerosLike(l);
        l.grad = null;
        return g;
      });
      value.node = null;
      value.requiresGrad = false;
      return [value, grads];
    } finally {
      for (const l of leaves) l.dispose();
    }
  };
}

type LeafFn = (t: Tensor) => Tensor;
let detachedLeaf: LeafFn;
let zerosLike: LeafFn;
/** @internal */
export function installLeafFns(leaf: LeafFn, zeros: LeafFn): void {
  detachedLeaf = leaf;
  zerosLike = zeros;
}
