import type { Code } from './builder.js';
import type { Op } from './opcodes.js';

/** Code that pushes one value (a float, or a comparison's mask) onto the stack when called. */
export type E = () => void;

type Bin = 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max';
type Un = 'abs' | 'neg' | 'sqrt' | 'floor' | 'ceil' | 'trunc' | 'nearest';
type Cmp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

const MAGIC_ROUND = 6755399441055744; // 0x1.8p52: k + this holds integer k in its low mantissa bits
const TWO52 = 4503599627370496;

/**
 * Double-precision arithmetic written once for scalar `f64` code and for `f64x2` SIMD code: the
 * math routines (math.ts) are built from these, branch-free (both sides of a choice computed, then
 * selected), so the same routine compiles to either. Masks are i32 0/1 in scalar code and all-ones
 * lanes in SIMD code.
 */
export class Lanes {
  constructor(
    readonly c: Code,
    readonly vector: boolean,
  ) {}

  private f(op: string): Op {
    return `${this.vector ? 'f64x2' : 'f64'}.${op}` as Op;
  }

  const(v: number): E {
    return () => {
      if (this.vector) this.c.v128(Float64Array.of(v, v));
      else this.c.f64(v);
    };
  }

  /** Evaluates `e` into a new local now; the result reads it back. */
  let(e: E): E {
    return this.bind(e, this.vector ? 'v128' : 'f64');
  }

  /** {@link let} for a mask (a comparison's result). */
  letMask(m: E): E {
    return this.bind(m, this.vector ? 'v128' : 'i32');
  }

  private bind(e: E, type: 'v128' | 'f64' | 'i32'): E {
    const t = this.c.local(type);
    e();
    this.c.set(t);
    return () => this.c.get(t);
  }

  bin(op: Bin, a: E, b: E): E {
    return () => {
      a();
      b();
      this.c.op(this.f(op));
    };
  }
  add = (a: E, b: E) => this.bin('add', a, b);
  sub = (a: E, b: E) => this.bin('sub', a, b);
  mul = (a: E, b: E) => this.bin('mul', a, b);
  div = (a: E, b: E) => this.bin('div', a, b);

  un(op: Un, a: E): E {
    return () => {
      a();
      this.c.op(this.f(op));
    };
  }

  cmp(op: Cmp, a: E, b: E): E {
    return this.bin(op as Bin, a, b);
  }

  and(m: E, n: E): E {
    return () => {
      m();
      n();
      this.c.op(this.vector ? 'v128.and' : 'i32.and');
    };
  }
  or(m: E, n: E): E {
    return () => {
      m();
      n();
      this.c.op(this.vector ? 'v128.or' : 'i32.or');
    };
  }
  not(m: E): E {
    return () => {
      m();
      this.c.op(this.vector ? 'v128.not' : 'i32.eqz');
    };
  }

  /** m ? a : b, lane by lane. */
  select(m: E, a: E, b: E): E {
    return () => {
      a();
      b();
      m();
      this.c.op(this.vector ? 'v128.bitselect' : 'select');
    };
  }

  /** |a| with the sign of b. */
  copysign(a: E, b: E): E {
    if (!this.vector) return this.bin('copysign' as Bin, a, b);
    return () => {
      b();
      a();
      this.i64Splat(-0x8000000000000000n);
      this.c.op('v128.bitselect');
    };
  }

  /** c0 + x·(c1 + x·(c2 + …)), Horner's rule (`x` is read once per coefficient). */
  poly(x: E, coeffs: readonly number[]): E {
    return () => {
      this.const(coeffs[coeffs.length - 1])();
      for (let i = coeffs.length - 2; i >= 0; i--) {
        x();
        this.c.op(this.f('mul'));
        this.const(coeffs[i])();
        this.c.op(this.f('add'));
      }
    };
  }

  /** p·2^k for an integral k with |k| < 2^51, where the result is a normal number: k added to p's exponent bits. */
  ldexp(p: E, k: E): E {
    return () => {
      p();
      this.bits();
      k();
      this.const(MAGIC_ROUND)();
      this.c.op(this.f('add'));
      this.bits();
      this.shift('shl', 52);
      this.c.op(this.vector ? 'i64x2.add' : 'i64.add');
      this.float();
    };
  }

  /** The unbiased exponent of a positive normal x, as a float. */
  exponent(x: E): E {
    return () => {
      x();
      this.bits();
      this.shift('shr_u', 52);
      this.i64Const(0x4330000000000000n);
      this.c.op(this.vector ? 'v128.or' : 'i64.or');
      this.float();
      this.const(TWO52 + 1023)();
      this.c.op(this.f('sub'));
    };
  }

  /** The significand of a positive normal x, in [1, 2). */
  mantissa(x: E): E {
    return () => {
      x();
      this.bits();
      this.i64Const(0x000fffffffffffffn);
      this.c.op(this.vector ? 'v128.and' : 'i64.and');
      this.i64Const(0x3ff0000000000000n);
      this.c.op(this.vector ? 'v128.or' : 'i64.or');
      this.float();
    };
  }

  private bits(): void {
    if (!this.vector) this.c.op('i64.reinterpret_f64');
  }
  private float(): void {
    if (!this.vector) this.c.op('f64.reinterpret_i64');
  }
  private shift(op: 'shl' | 'shr_u', n: number): void {
    if (this.vector) this.c.i32(n).op(`i64x2.${op}`);
    else this.c.i64(BigInt(n)).op(`i64.${op}`);
  }
  private i64Const(v: bigint): void {
    if (this.vector) this.i64Splat(v);
    else this.c.i64(v);
  }
  private i64Splat(v: bigint): void {
    this.c.v128(BigInt64Array.of(v, v));
  }
}
