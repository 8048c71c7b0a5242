/** A bad argument to @tessera/patching: the message names it, the expected and the actual value. */
export class PatchingError extends Error {
  override name = 'PatchingError';
}
