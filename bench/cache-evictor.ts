/**
 * Leaves the caches as a serving gateway's other work leaves them between two of a request's
 * steps: one write to every cache line of a data buffer, and a call to each of many distinct,
 * separately compiled functions (their machine code fills the instruction cache, its TLB and the
 * branch predictors). A hot loop over a few functions keeps all three warm and reads several times
 * cheaper than the same code run once a request in the gateway (docs/BENCHMARKS-HISTORY.md,
 * session 10: 0.8 µs hot, 0.9 with the data evicted, 3.3 with the code evicted too).
 */
export function cacheEvictor(dataKb: number, functions: number): () => number {
  const lines = new Uint8Array(dataKb * 1024);
  const code: ((x: number) => number)[] = [];
  for (let k = 0; k < functions; k++)
    code.push(
      // Each body differs in its constants, so each is its own compiled code.
      new Function(
        "x",
        `let y = x ^ ${k}; for (let j = 0; j < 3; j++) { y = (y * ${(k % 97) + 3} + ${k}) | 0; if (y & ${1 << (k % 13)}) y ^= ${k * 7}; else y += ${k}; } return y;`,
      ) as (x: number) => number,
    );
  let pass = 0;
  let kept = 0;
  return () => {
    pass = (pass + 1) & 0xff;
    for (let at = 0; at < lines.length; at += 64) lines[at] = pass;
    for (const f of code) kept ^= f(pass);
    // Returned, so the calls' results are used and cannot be dropped as dead code.
    return kept;
  };
}
