import { expect } from 'vitest';
import { PipelineError } from '../src/index.js';

/** Asserts that `f` throws a PipelineError (no other error) whose message matches `message`. */
export function expectRefusal(f: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    f();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(PipelineError);
  expect((error as Error).message).toMatch(message);
}
