// BLT's byte ids (facebookresearch/blt bytelatent/tokenizers/constants.py and blt_tokenizer.py):
// four special ids, then every byte offset by 4 — 260 ids.
import { PatchingError } from './errors.js';

export const BOE_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const BPE_ID = 3;
/** Byte b has id b + OFFSET. */
export const OFFSET = 4;
export const VOCAB_SIZE = 256 + OFFSET;

/** Byte ids of UTF-8 text (or raw bytes), with BOS first and EOS last by default, as BltTokenizer.encode. */
export function encodeBytes(
  input: string | Uint8Array,
  options: { bos?: boolean; eos?: boolean } = {},
): Int32Array {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const bos = options.bos ?? true;
  const eos = options.eos ?? true;
  const out = new Int32Array(bytes.length + (bos ? 1 : 0) + (eos ? 1 : 0));
  let at = 0;
  if (bos) out[at++] = BOS_ID;
  for (const b of bytes) out[at++] = b + OFFSET;
  if (eos) out[at] = EOS_ID;
  return out;
}

/** The bytes behind ids (special ids dropped); an id outside 0..259 throws naming its position. */
export function idsToBytes(ids: ArrayLike<number>): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= VOCAB_SIZE)
      throw new PatchingError(`ids[${i}] must be an integer in 0..${VOCAB_SIZE - 1}, got ${id}`);
    if (id >= OFFSET) out.push(id - OFFSET);
  }
  return Uint8Array.from(out);
}

/** Text of ids; bytes that are not valid UTF-8 become U+FFFD (never throws on a cut character). */
export const decodeBytes = (ids: ArrayLike<number>): string => new TextDecoder().decode(idsToBytes(ids));

/**
 * Decodes patch after patch: a multi-byte character cut by a patch boundary is held back until its
 * last byte arrives, so the pieces concatenate to the text of the whole.
 */
export class Utf8PatchDecoder {
  private readonly decoder = new TextDecoder();
  /** The text this patch completes. */
  push(ids: ArrayLike<number>): string {
    return this.decoder.decode(idsToBytes(ids), { stream: true });
  }
  /** Whatever is left (an incomplete character becomes U+FFFD). */
  end(): string {
    return this.decoder.decode();
  }
}

/** Throws naming the byte offset of the first invalid UTF-8 sequence, for APIs that need text. */
export function validateUtf8(bytes: Uint8Array): void {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Find the offset: the longest valid prefix.
    let lo = 0;
    let hi = bytes.length;
    const ok = (n: number) => {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
        return true;
      } catch {
        return false;
      }
    };
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ok(mid)) lo = mid;
      else hi = mid - 1;
    }
    throw new PatchingError(
      `input is not valid UTF-8: byte ${lo} (0x${bytes[lo]?.toString(16).padStart(2, '0')}) starts an invalid sequence`,
    );
  }
}
