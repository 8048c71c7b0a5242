// Node-only helpers (files and streams), at '@tessera/pipeline/node'; the main entry runs anywhere.
export { type CsvOptions, readCsvBatches } from './csv.js';
