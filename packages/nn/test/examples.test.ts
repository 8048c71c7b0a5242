import { expect, it } from 'vitest';
import { fitSine } from '../examples/mlp.js';

it('the README example fits the sine and names its parameters', async () => {
  const { losses, names } = await fitSine();
  expect(names).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  expect(losses[2]).toBeLessThan(losses[0]);
  expect(losses[2]).toBeLessThan(0.05);
});
