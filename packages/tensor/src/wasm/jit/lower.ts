import { storageOf } from '../../dtype.js';
import { Exp, ex } from '../../ir/exp.js';

/**
 * `exps` in the dtypes the generated WebAssembly computes (the storage dtypes): bool nodes become
 * u8 (their values are 0 and 1 already), a cast to bool becomes `x != 0`, and f16 reads become f32
 * reads (an f16 value is an f32 one). Undefined when an expression rounds to half (a cast to f16),
 * which the generated kernels do not do: the JavaScript kernel computes those.
 */
export function lowerForWasm(exps: readonly Exp[]): Exp[] | undefined {
  const done = new Map<Exp, Exp>();
  let ok = true;
  const go = (e: Exp): Exp => {
    const hit = done.get(e);
    if (hit) return hit;
    const src = e.src.map(go);
    let r: Exp;
    if (e.op === 'cast' && e.dtype === 'f16' && e.src[0].dtype !== 'f16') {
      ok = false;
      r = e;
    } else if (e.op === 'cast' && e.dtype === 'bool') {
      r = e.src[0].dtype === 'bool' ? src[0] : ne0(src[0]);
    } else if (e.op === 'cast' && src[0].dtype === storageOf(e.dtype)) {
      r = src[0];
    } else if (e.dtype === storageOf(e.dtype) && src.every((s, i) => s === e.src[i])) {
      r = e;
    } else {
      r = new Exp(e.op, storageOf(e.dtype), src, e.arg);
    }
    done.set(e, r);
    return r;
  };
  const out = exps.map(go);
  return ok ? out : undefined;
}

/** x != 0 as a u8 0 or 1. */
const ne0 = (x: Exp): Exp => {
  const flag = ex.alu('ne', x, ex.const(0, x.dtype));
  return new Exp(flag.op, 'u8', flag.src, flag.arg);
};
