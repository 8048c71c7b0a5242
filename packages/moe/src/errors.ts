/** A bad argument to @tessera/moe: the message names it, the expected and the actual value. */
export class MoEError extends Error {
  override name = 'MoEError';
}
