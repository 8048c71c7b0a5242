import { ShapeError } from '../errors.js';
import { numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { matmul } from './matmul.js';
import { expand, permute, reshape, slice } from './movement.js';
import { sum } from './reduce.js';

/** A tensor with a letter per dim. */
interface Labeled {
  t: Tensor;
  labels: string[];
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Einstein summation, as `torch.einsum`: letters name dims (`'bhqd,bhkd->bhqk'`, `'ij,ij->'`,
 * `'i,j->ij'`); without `->` the output is `...` followed by the letters used once, sorted. `...`
 * stands for the dims no letter names, broadcast across operands (`'...ij,...jk->...ik'`). A letter
 * repeated within an operand takes its diagonal (`'ii->i'`, `'ii->'` the trace, `'bii->bi'`).
 * Operands are contracted pairwise, left to right, each pair as one batched matmul after summing
 * out the letters no later operand or the output uses.
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.split('->');
  const terms = lhs.split(',');
  if (terms.length !== operands.length)
    throw new ShapeError(`einsum: '${equation}' names ${terms.length} operands, got ${operands.length}`);
  // '...' becomes letters no term uses, right-aligned across operands like broadcasting.
  const free = [...LETTERS].filter((l) => !eq.includes(l));
  const ellipsisRank = Math.max(
    0,
    ...terms.map((term, i) => (term.includes('...') ? operands[i].rank - (term.length - 3) : 0)),
  );
  const ellipsis = free.slice(0, ellipsisRank);
  const sizes = new Map<string, number>();
  const counts = new Map<string, number>();
  const inputs: Labeled[] = terms.map((term, i) => {
    const t = operands[i];
    const parts = term.split('...');
    if (parts.length > 2 || [...parts.join('')].some((l) => !LETTERS.includes(l)))
      throw new ShapeError(`einsum: operand ${i} '${term}' must be letters and at most one '...'`);
    const named = parts.join('').length;
    const own = parts.length === 2 ? t.rank - named : 0;
    if (own < 0 || (parts.length === 1 && named !== t.rank))
      throw new ShapeError(
        `einsum: operand ${i} '${term}' has ${named} letters for a tensor of rank ${t.rank}`,
      );
    const labels =
      parts.length === 2 ? [...parts[0], ...ellipsis.slice(ellipsisRank - own), ...parts[1]] : [...term];
    labels.forEach((l, d) => {
      const size = sizes.get(l);
      const broadcast = ellipsis.includes(l) && (size === 1 || t.shape[d] === 1);
      if (size !== undefined && size !== t.shape[d] && !broadcast)
        throw new ShapeError(
          `einsum: letter '${l}' is ${size} long in one operand and ${t.shape[d]} in operand ${i}`,
        );
      if (size === undefined || size === 1) sizes.set(l, t.shape[d]);
    });
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    return diagonals({ t, labels }, i, term);
  });
  const output =
    rhs === undefined
      ? [
          ...ellipsis,
          ...[...counts.keys()].filter((l) => counts.get(l) === 1 && !ellipsis.includes(l)).sort(),
        ]
      : [...rhs.replace('...', ellipsis.join(''))];
  if (new Set(output).size !== output.length)
    throw new ShapeError(`einsum: output '${rhs}' repeats a letter`);
  for (const l of output)
    if (!sizes.has(l)) throw new ShapeError(`einsum: output letter '${l}' is in no operand`);
  // Broadcast dims of size 1 under '...' to the size the other operands give them.
  for (const x of inputs) {
    const shape = x.labels.map((l) => sizes.get(l) as number);
    if (shape.some((d, i) => d !== x.t.shape[i])) x.t = expand(x.t, shape);
  }
  let acc = sumOut(inputs[0], [...output, ...inputs.slice(1).flatMap((x) => x.labels)]);
  for (let i = 1; i < inputs.length; i++) {
    const later = [...output, ...inputs.slice(i + 1).flatMap((x) => x.labels)];
    const next = sumOut(inputs[i], [...later, ...acc.labels]);
    acc = contract(sumOut(acc, [...later, ...next.labels]), next, later, sizes);
  }
  return permute(
    acc.t,
    output.map((l) => acc.labels.indexOf(l)),
  );
}

/**
 * `x` with each repeated letter reduced to its diagonal: the second dim moved next to the first,
 * the pair flattened, and every (n + 1)-th element kept (a copy and views, so exact, −0 and NaN
 * included, and differentiable).
 */
function diagonals(x: Labeled, i: number, term: string): Labeled {
  let { t, labels } = x;
  for (let d = 0; d < labels.length; d++) {
    for (let e = labels.length - 1; e > d; e--) {
      if (labels[e] !== labels[d]) continue;
      const n = t.shape[d];
      if (t.shape[e] !== n)
        throw new ShapeError(
          `einsum: letter '${labels[d]}' repeats in operand ${i} '${term}' over dims of sizes ${n} and ${t.shape[e]}; a diagonal needs equal sizes`,
        );
      const order = [...labels.keys()].filter((k) => k !== e);
      order.splice(d + 1, 0, e);
      const moved = permute(t, order);
      const shape = moved.shape as number[];
      const flat = reshape(moved, [...shape.slice(0, d), n * n, ...shape.slice(d + 2)]);
      t = slice(
        flat,
        flat.shape.map((_, k) => (k === d ? { step: n + 1 } : null)),
      );
      labels = labels.filter((_, k) => k !== e);
    }
  }
  return { t, labels };
}

/** Sums out the letters of `x` that are not in `keep`. */
function sumOut(x: Labeled, keep: string[]): Labeled {
  const axes = x.labels.flatMap((l, d) => (keep.includes(l) ? [] : [d]));
  if (axes.length === 0) return x;
  return { t: sum(x.t, axes), labels: x.labels.filter((l) => keep.includes(l)) };
}

/** a · b over their shared letters, keeping those in `later` as batch dims: one batched matmul. */
function contract(a: Labeled, b: Labeled, later: string[], sizes: Map<string, number>): Labeled {
  const shared = a.labels.filter((l) => b.labels.includes(l));
  const batch = shared.filter((l) => later.includes(l));
  const inner = shared.filter((l) => !later.includes(l));
  const aFree = a.labels.filter((l) => !shared.includes(l));
  const bFree = b.labels.filter((l) => !shared.includes(l));
  const size = (ls: string[]) => numel(ls.map((l) => sizes.get(l) as number));
  const arrange = (x: Labeled, order: string[], shape: number[]) =>
    reshape(
      permute(
        x.t,
        order.map((l) => x.labels.indexOf(l)),
      ),
      shape,
    );
  const A = arrange(a, [...batch, ...aFree, ...inner], [size(batch), size(aFree), size(inner)]);
  const B = arrange(b, [...batch, ...inner, ...bFree], [size(batch), size(inner), size(bFree)]);
  const labels = [...batch, ...aFree, ...bFree];
  return {
    t: reshape(
      matmul(A, B),
      labels.map((l) => sizes.get(l) as number),
    ),
    labels,
  };
}
