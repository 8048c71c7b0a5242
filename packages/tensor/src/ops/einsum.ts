import { ShapeError } from '../errors.js';
import { numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { matmul } from './matmul.js';
import { permute, reshape } from './movement.js';
import { sum } from './reduce.js';

/** A tensor with a letter per dim. */
interface Labeled {
  t: Tensor;
  labels: string[];
}

/**
 * Einstein summation, as `torch.einsum` for equations of letters (`'bhqd,bhkd->bhqk'`,
 * `'ij,ij->'`, `'i,j->ij'`; without `->` the output is the letters used once, sorted). Operands are
 * contracted pairwise, left to right, each pair as one batched matmul after summing out the
 * letters no later operand or the output uses. A letter may not repeat within an operand, and
 * `...` is not supported.
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  const eq = equation.replace(/\s+/g, '');
  if (eq.includes('.')) throw new ShapeError(`einsum: '...' is not supported, got '${equation}'`);
  const [lhs, rhs] = eq.split('->');
  const terms = lhs.split(',');
  if (terms.length !== operands.length)
    throw new ShapeError(`einsum: '${equation}' names ${terms.length} operands, got ${operands.length}`);
  const sizes = new Map<string, number>();
  const counts = new Map<string, number>();
  const inputs: Labeled[] = terms.map((term, i) => {
    const labels = [...term];
    const t = operands[i];
    if (labels.some((l) => !/^[a-zA-Z]$/.test(l)))
      throw new ShapeError(`einsum: operand ${i} '${term}' must be letters only`);
    if (new Set(labels).size !== labels.length)
      throw new ShapeError(`einsum: operand ${i} '${term}' repeats a letter (diagonals are not supported)`);
    if (labels.length !== t.rank)
      throw new ShapeError(
        `einsum: operand ${i} '${term}' has ${labels.length} letters for a tensor of rank ${t.rank}`,
      );
    labels.forEach((l, d) => {
      const size = sizes.get(l);
      if (size !== undefined && size !== t.shape[d])
        throw new ShapeError(
          `einsum: letter '${l}' is ${size} long in one operand and ${t.shape[d]} in operand ${i}`,
        );
      sizes.set(l, t.shape[d]);
      counts.set(l, (counts.get(l) ?? 0) + 1);
    });
    return { t, labels };
  });
  const output = rhs === undefined ? [...counts.keys()].filter((l) => counts.get(l) === 1).sort() : [...rhs];
  for (const l of output)
    if (!sizes.has(l)) throw new ShapeError(`einsum: output letter '${l}' is in no operand`);
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
