// '#local-file' outside Node (see ./node.ts): no file system, so callers fetch a URL instead.

/** Absent here: file: URLs are read in Node only. */
export const readLocalFile: ((url: URL) => Promise<Uint8Array>) | undefined = undefined;
