// The browser build's stand-in for files.ts (see tsup.config.ts): the same functions, typed from
// files.ts so the two cannot drift, each failing with what to use where there is no file system.
import type * as node from './files.js';

function nodeOnly(name: string): Error {
  return new Error(
    `${name} reads and writes files through Node's fs, which this build (for browsers) does not have: ` +
      'fetch the file and pass its bytes to readSafetensors, or call fetchSafetensors(url); ' +
      'writeSafetensors returns the bytes of a file to save',
  );
}

export const readSafetensorsFileMetadata: typeof node.readSafetensorsFileMetadata = async () => {
  throw nodeOnly('readSafetensorsFileMetadata');
};

export const readSafetensorsFile: typeof node.readSafetensorsFile = async () => {
  throw nodeOnly('readSafetensorsFile');
};

export const writeSafetensorsFile: typeof node.writeSafetensorsFile = async () => {
  throw nodeOnly('writeSafetensorsFile');
};
