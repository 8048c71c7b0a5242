import * as T from '@tessera/tensor';

/** A model that gives the mean next-token cross-entropy (nats) of a batch of ids [B, S + 1]. */
export interface LanguageModel {
  loss(ids: T.Tensor): T.Tensor;
}

/**
 * Bits per byte of `bytes` under a byte-level model: the mean next-byte cross-entropy in bits over
 * consecutive windows of `seqLen` (each predicting from its own start), up to `maxWindows` of them.
 */
export async function bitsPerByte(
  model: LanguageModel,
  bytes: Uint8Array,
  options: { seqLen: number; batchSize?: number; maxWindows?: number; backend?: T.Backend },
): Promise<number> {
  const { seqLen, batchSize = 8, backend } = options;
  const windows = Math.min(
    Math.floor((bytes.byteLength - 1) / seqLen),
    options.maxWindows ?? Number.POSITIVE_INFINITY,
  );
  if (windows < 1)
    throw new RangeError(`bitsPerByte: ${bytes.byteLength} bytes are fewer than one window of ${seqLen + 1}`);
  let nats = 0;
  for (let w = 0; w < windows; w += batchSize) {
    const n = Math.min(batchSize, windows - w);
    const rows = new Int32Array(n * (seqLen + 1));
    for (let b = 0; b < n; b++)
      rows.set(bytes.subarray((w + b) * seqLen, (w + b) * seqLen + seqLen + 1), b * (seqLen + 1));
    const loss = T.tidy(() =>
      T.noGrad(() => model.loss(T.tensor(rows, { shape: [n, seqLen + 1], backend }))),
    );
    nats += (await loss.item()) * n;
    loss.dispose();
  }
  return nats / windows / Math.LN2;
}
