import { contiguousStrides, isContiguous, numel } from '../shape.js';

/** A strided window: element `i` (a multi-index) sits at `offset + Σ strides[d]·i[d]`. */
export interface Window {
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * Re-indexes reads through a view. A pending storage is a contiguous array of `shape`, each of its
 * sources read through a window over `shape`. When a tensor views that array (its `view` over
 * `viewShape`), a source's element for view index `i` is at a window over `viewShape` that this
 * returns for each source, or `undefined` when no single window does (the view merges dims a
 * source cannot merge, or straddles rows). `ordered` is true when view index `i` is element `i`
 * of the array, so expressions of the row-major position may be inlined too.
 */
export function composer(
  shape: readonly number[],
  viewShape: readonly number[],
  view: Window,
): { ordered: boolean; compose: (w: Window) => Window | undefined } | undefined {
  const n = numel(shape);
  if (n === 0) return undefined;
  if (view.offset === 0 && numel(viewShape) === n && isContiguous(viewShape, view.strides)) {
    // The same elements in the same order, maybe reshaped.
    return {
      ordered: true,
      compose: (w) => {
        const strides = reshapedStrides(shape, w.strides, viewShape);
        return strides && { strides, offset: w.offset };
      },
    };
  }
  // Otherwise each view dim must step along one array dim, maybe by several (slices, steps,
  // permutations, broadcasts).
  const arrayStrides = contiguousStrides(shape);
  const base = unravel(view.offset, shape);
  if (!base) return undefined;
  const dimOf: number[] = [];
  const step: number[] = [];
  const used = new Set<number>();
  for (const [d, size] of viewShape.entries()) {
    const st = view.strides[d];
    if (size === 1 || st === 0) {
      dimOf.push(-1);
      step.push(0);
      continue;
    }
    const e = shape.findIndex(
      (s, k) =>
        s > 1 &&
        !used.has(k) &&
        st % arrayStrides[k] === 0 &&
        base[k] + (size - 1) * (st / arrayStrides[k]) < s,
    );
    if (e < 0) return undefined;
    used.add(e);
    dimOf.push(e);
    step.push(st / arrayStrides[e]);
  }
  return {
    ordered: false,
    compose: (w) => ({
      strides: dimOf.map((e, d) => (e < 0 ? 0 : step[d] * w.strides[e])),
      offset: w.offset + base.reduce((acc, b, e) => acc + b * w.strides[e], 0),
    }),
  };
}

/** The multi-index of row-major position `offset` in `shape`, or undefined past its end. */
function unravel(offset: number, shape: readonly number[]): number[] | undefined {
  if (offset >= numel(shape)) return undefined;
  const idx = new Array<number>(shape.length).fill(0);
  let r = offset;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = r % shape[d];
    r = Math.floor(r / shape[d]);
  }
  return idx;
}

/**
 * Strides that read the elements of a window over `shape` (row-major order) as `to`, without a
 * copy, or undefined when there are none (NumPy's no-copy reshape rule: each group of dims that
 * merges must be evenly strided).
 */
export function reshapedStrides(
  shape: readonly number[],
  strides: readonly number[],
  to: readonly number[],
): number[] | undefined {
  const od: number[] = [];
  const os: number[] = [];
  for (const [d, s] of shape.entries()) {
    if (s !== 1) {
      od.push(s);
      os.push(strides[d]);
    }
  }
  const out = new Array<number>(to.length).fill(0);
  let oi = 0;
  let ni = 0;
  while (ni < to.length && oi < od.length) {
    if (to[ni] === 1) {
      ni++;
      continue;
    }
    let oj = oi + 1;
    let nj = ni + 1;
    let np = to[ni];
    let op = od[oi];
    while (np !== op) {
      if (np < op) np *= to[nj++];
      else op *= od[oj++];
    }
    for (let k = oi; k < oj - 1; k++) if (os[k] !== od[k + 1] * os[k + 1]) return undefined;
    out[nj - 1] = os[oj - 1];
    for (let k = nj - 1; k > ni; k--) out[k - 1] = out[k] * to[k];
    ni = nj;
    oi = oj;
  }
  return out;
}
