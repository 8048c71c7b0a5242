/** Strided operands over one iteration shape: the output is contiguous, each input has its strides. */
export interface Operands {
  shape: number[];
  strides: number[][];
}

/**
 * Merges adjacent dims that every operand steps through as one (stride[d] = stride[d+1]·shape[d+1])
 * and drops dims of size 1, so most elementwise kernels become one flat loop. Rank 0 becomes [1].
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): Operands {
  const keep = shape.map((n, d) => n !== 1 || d === -1);
  let s: number[] = shape.filter((_, d) => keep[d]);
  let st: number[][] = strides.map((v) => v.filter((_, d) => keep[d]));
  if (s.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  for (let d = s.length - 2; d >= 0; d--) {
    const n = s[d + 1];
    if (st.every((v) => v[d] === v[d + 1] * n)) {
      s = [...s.slice(0, d), s[d] * n, ...s.slice(d + 2)];
      st = st.map((v) => [...v.slice(0, d), v[d + 1], ...v.slice(d + 2)]);
    }
  }
  return { shape: s, strides: st };
}
