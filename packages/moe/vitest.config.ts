import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run src in Node: '#local-file' is its Node build (package.json "imports" points at dist).
  resolve: { alias: { '#local-file': new URL('./src/local-file/node.ts', import.meta.url).pathname } },
  test: { include: ['test/**/*.test.ts'], pool: 'forks', maxWorkers: 2, testTimeout: 60_000 },
});
