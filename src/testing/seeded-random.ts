/**
 * A seeded random number generator for tests (mulberry32): numbers in [0, 1), the same sequence
 * for the same seed everywhere, so a test that explores random inputs reads the same inputs on
 * every run and a failure can be replayed. `Math.random` in a test makes it a different test each run.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
