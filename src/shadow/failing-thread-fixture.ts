/**
 * A stand-in for the shadow thread in tests (shadow-thread-client.test.ts): it takes the ring, then
 * throws on the first batch of copies, as the real thread would on a bug — so the gateway's
 * side of a thread that fails with pairs in it can be tested without breaking the real one.
 */

let messages = 0;
self.onmessage = () => {
  messages++;
  if (messages > 1) throw new Error("the stand-in shadow thread broke on purpose");
};
