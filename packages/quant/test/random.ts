// Seeded randomness for the tests, so that a failing case can be replayed: the tensor tests' PRNG.
export { rng } from '../../tensor/test/helpers.js';
