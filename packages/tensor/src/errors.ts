/** Base class of Tessera tensor errors. Every op validates before it allocates, so a thrown op leaves all state intact. */
export class TensorError extends Error {
  override name = 'TensorError';
}
/** Shapes that do not fit the op. */
export class ShapeError extends TensorError {
  override name = 'ShapeError';
}
/** A dtype the op does not take. */
export class DTypeError extends TensorError {
  override name = 'DTypeError';
}
/** Tensors of different backends mixed in one op, or a backend that cannot be used. */
export class BackendError extends TensorError {
  override name = 'BackendError';
}
/** Use of a tensor after `dispose()`. */
export class DisposedError extends TensorError {
  override name = 'DisposedError';
}
/** An index outside its dimension. On WebGPU it surfaces at the next read, like a CUDA device assert. */
export class IndexError extends TensorError {
  override name = 'IndexError';
}

/** Formats a shape as PyTorch prints it: `[2, 3]`. */
export const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
