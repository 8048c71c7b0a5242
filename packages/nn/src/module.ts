import { type Backend, type Generator, getBackend, noGrad, type Tensor, tidy } from '@tessera/tensor';

/** Where a module's parameters live and how they are initialised. */
export interface ModuleOptions {
  /** Default: the backend chosen by `init()`. */
  backend?: Backend;
  /** Seeded initialisation; default: the global generator. */
  generator?: Generator;
}

/** Options of {@link Module.loadStateDict}. */
export interface LoadOptions {
  /** Throw when a name is missing or unexpected (default), like PyTorch's `strict=True`. */
  strict?: boolean;
}

/**
 * Base class of layers, PyTorch-style: parameters and submodules are registered under names, and
 * `stateDict()` names them with dots (`model.layers.0.self_attn.q_proj.weight`), so checkpoints in
 * Hugging Face naming load without renaming.
 */
export abstract class Module {
  /** Training mode (dropout active); see {@link train} and {@link eval}. */
  training = true;
  readonly #params = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();

  /** Registers a parameter (made a gradient leaf) under `name` and returns it. */
  protected param(name: string, t: Tensor): Tensor {
    this.#params.set(name, t.requireGrad());
    return t;
  }

  /** Registers a submodule under `name` and returns it. */
  protected child<M extends Module>(name: string, m: M): M {
    this.#children.set(name, m);
    return m;
  }

  /**
   * Swaps the submodule registered as `name` for `m` — and the field of that name when it held the
   * old one — e.g. to quantize a layer or wrap it in an adapter in place. Returns the old submodule.
   */
  setChild(name: string, m: Module): Module {
    const old = this.#children.get(name);
    if (!old)
      throw new Error(`setChild: no submodule '${name}' (has ${JSON.stringify([...this.#children.keys()])})`);
    this.#children.set(name, m);
    const self = this as unknown as Record<string, unknown>;
    if (self[name] === old) self[name] = m;
    return old;
  }

  /** The submodule at a dotted path (`model.layers.0.mlp`); throws naming the first missing part. */
  getModule(path: string): Module {
    let at: Module = this;
    for (const part of path.split('.')) {
      const next = at.#children.get(part);
      if (!next) throw new Error(`getModule: '${path}' has no part '${part}'`);
      at = next;
    }
    return at;
  }

  /** Turns gradients of every parameter here and below on or off (off: a frozen base). */
  setRequiresGrad(on: boolean): this {
    for (const p of this.parameters()) p.requiresGrad = on;
    return this;
  }

  /** Every parameter with its dotted name, depth first in registration order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.#params) out.push([prefix + n, p]);
    for (const [n, c] of this.#children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** Every parameter. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Submodules, recursively, with their dotted names. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [n, c] of this.#children) out.push([prefix + n, c], ...c.namedModules(`${prefix}${n}.`));
    return out;
  }

  /** Name → parameter. The tensors are the live parameters, not copies. */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copies values into the parameters by name. With `strict` (the default) a missing or unexpected
   * name throws and nothing is changed; a shape mismatch always throws before anything changes.
   */
  loadStateDict(
    state: Record<string, Tensor>,
    { strict = true }: LoadOptions = {},
  ): { missing: string[]; unexpected: string[] } {
    const own = new Map(this.namedParameters());
    const missing = [...own.keys()].filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !own.has(k));
    if (strict && (missing.length || unexpected.length)) {
      throw new Error(
        `loadStateDict: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(unexpected)}`,
      );
    }
    for (const [k, p] of own) {
      const src = state[k];
      if (src && (src.shape.length !== p.shape.length || src.shape.some((d, i) => d !== p.shape[i]))) {
        throw new Error(
          `loadStateDict: '${k}' has shape [${src.shape.join(', ')}], the parameter has [${p.shape.join(', ')}]`,
        );
      }
      if (src && src.dtype !== p.dtype)
        throw new Error(`loadStateDict: '${k}' has dtype ${src.dtype}, the parameter has ${p.dtype}`);
      if (src && src.backend !== p.backend) {
        throw new Error(
          `loadStateDict: '${k}' is on ${src.backend.name}, the parameter on ${p.backend.name} (move it with await t.to(backend))`,
        );
      }
    }
    // Buffers are immutable and reference-counted, so a parameter may share the source's buffer.
    noGrad(() => {
      for (const [k, p] of own) if (state[k]) p.assign(state[k]);
    });
    return { missing, unexpected };
  }

  /** Sets training mode here and below. */
  train(on = true): this {
    this.training = on;
    for (const c of this.#children.values()) c.train(on);
    return this;
  }

  /** Evaluation mode (no dropout). */
  eval(): this {
    return this.train(false);
  }

  /** Drops accumulated gradients. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.setGrad(null);
  }

  /** Frees every parameter. */
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }
}

/** The backend and generator a module's initialisers use. */
export const resolve = (o: ModuleOptions): { backend: Backend; generator?: Generator } => ({
  backend: o.backend ?? getBackend(),
  generator: o.generator,
});

/** Runs an initialiser so that only its result survives and no graph is recorded. */
export const init = (f: () => Tensor): Tensor => tidy(() => noGrad(f));
