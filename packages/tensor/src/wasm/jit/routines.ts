import type { Code, ModuleBuilder, ValType } from './builder.js';
import { type E, Lanes } from './lanes.js';
import * as M from './math.js';

/** The double-precision routines a kernel may call: each named after the ALU op it computes. */
export const ROUTINES = [
  'exp',
  'log',
  'log2',
  'log1p',
  'expm1',
  'tanh',
  'sigmoid',
  'erf',
  'atan',
  'asin',
  'acos',
  'sin',
  'cos',
  'tan',
  'rsqrt',
  'pow',
] as const;
export type Routine = (typeof ROUTINES)[number];

const UNARY: Record<Exclude<Routine, 'pow' | Trig>, (L: Lanes, x: E) => E> = {
  exp: M.exp,
  log: M.log,
  log2: M.log2,
  log1p: M.log1p,
  expm1: M.expm1,
  tanh: M.tanh,
  sigmoid: M.sigmoid,
  erf: M.erf,
  atan: M.atan,
  asin: M.asin,
  acos: M.acos,
  rsqrt: M.rsqrt,
};

type Trig = 'sin' | 'cos' | 'tan';
const TRIG: readonly Trig[] = ['sin', 'cos', 'tan'];

/**
 * The host functions a kernel module imports: Math's sin, cos and tan, for arguments past the
 * exact reduction's range, and the float remainder (JavaScript's %, C's fmod: exact, and long to
 * write in WebAssembly, which has no such instruction). The worker source imports the same.
 */
export const HOST_IMPORTS = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  fmod: (a: number, b: number) => a % b,
};

/**
 * Adds each routine to a module the first time a kernel asks for it, as a function of one f64
 * (scalar) or one f64x2 (vector) — pow: of two — returning the same type.
 */
export class Routines {
  private readonly made = new Map<string, number>();
  private readonly imports: Record<Trig, number>;
  /** The function index of the imported float remainder, (f64, f64) → f64. */
  readonly fmod: number;

  /** Declares the imports: call before the module's first function. */
  constructor(private readonly mb: ModuleBuilder) {
    this.imports = Object.fromEntries(
      TRIG.map((t) => [t, mb.importFunc('env', t, ['f64'], ['f64'])]),
    ) as Record<Trig, number>;
    this.fmod = mb.importFunc('env', 'fmod', ['f64', 'f64'], ['f64']);
  }

  /** The function index of `name` for scalar or vector arguments. */
  get(name: Routine, vector: boolean): number {
    const key = `${name}${vector ? 'x2' : ''}`;
    let fn = this.made.get(key);
    if (fn === undefined) {
      fn = this.build(name, vector);
      this.made.set(key, fn);
    }
    return fn;
  }

  private build(name: Routine, vector: boolean): number {
    const t = vector ? 'v128' : 'f64';
    const params: ValType[] = name === 'pow' ? [t, t] : [t];
    return this.mb.func(params, [t], (c) => this.write(name, vector, c, name === 'pow' ? [0, 1] : [0]));
  }

  /**
   * Writes routine `name` into `c`, reading its argument(s) from locals `args` (f64, or v128 of
   * f64x2) and leaving its result on the stack: the body of a routine's function, or the routine
   * inlined into a kernel's loop.
   */
  write(name: Routine, vector: boolean, c: Code, args: number[]): void {
    const L = new Lanes(c, vector);
    const [x, y] = args.map((a) => () => c.get(a));
    if (name === 'pow') M.pow(L, x, y)();
    else if (name === 'sin' || name === 'cos' || name === 'tan') this.trig(c, L, name, args[0]);
    else UNARY[name](L, x)();
  }

  /**
   * sin, cos or tan: the reduction of math.ts below 2^24, Math's own function above (rare, and
   * Payne–Hanek reduction is long code): scalar code branches, vector code patches both lanes
   * when either is that large.
   */
  private trig(c: Code, L: Lanes, which: Trig, arg: number): void {
    const x = () => c.get(arg);
    const big = L.cmp('ge', L.un('abs', x), L.const(M.TRIG_REDUCED_MAX));
    if (!L.vector) {
      big();
      c.open('if', 'f64').get(arg).call(this.imports[which]).else();
      M.trig(L, x, which)();
      c.end();
      return;
    }
    const res = c.local('v128');
    M.trig(L, x, which)();
    c.set(res);
    big();
    c.op('v128.any_true').open('if');
    for (const lane of [0, 1]) {
      c.get(res);
      c.get(arg).lane('f64x2.extract_lane', lane).call(this.imports[which]);
      c.lane('f64x2.replace_lane', lane).set(res);
    }
    c.end().get(res);
  }
}
