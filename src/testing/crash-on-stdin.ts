/**
 * A preload for tests of a crash (`bun --preload this src/main.ts serve …`): a line on stdin makes
 * the process fail as a bug would, off any handler's path: `throw` an uncaught exception, `reject`
 * a rejection no one handles. Each error's words hold a credential-shaped value, which no log line
 * may hold.
 */
const SAID = "token=sk-crashcrashcrashcrash1234";

process.stdin.on("data", (chunk: Buffer) => {
  const asked = chunk.toString().trim();
  if (asked === "throw") throw new Error(`a bug in a timer (${SAID})`);
  if (asked === "reject") void Promise.reject(new Error(`a bug in a promise (${SAID})`));
});
