import { expect, test } from "bun:test";
import { join } from "node:path";

// The process's own timers, in a process of their own: what holds it open is seen by its exit.

/** What a process that sets one timer and nothing else writes before it exits. */
async function ranBeforeExit(unref: boolean, ms: number): Promise<string> {
  const script = `const { afterTimeout } = await import(${JSON.stringify(join(import.meta.dir, "after.ts"))});
    afterTimeout({ unref: ${unref} })(${ms}, () => process.stdout.write("ran"));`;
  const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
  expect(await proc.exited).toBe(0);
  return new Response(proc.stdout).text();
}

test("a timer holds the process open until it has run; one set with unref does not", async () => {
  expect(await ranBeforeExit(false, 10)).toBe("ran");
  // Were it held, the process would wait its minute and write "ran".
  expect(await ranBeforeExit(true, 60_000)).toBe("");
});

test("a wait past setTimeout's range (30 days) does not run after 1 ms", async () => {
  // Bun fires a timer of over 2^31 - 1 ms after 1 ms; unref'd, the process exits before it runs.
  expect(await ranBeforeExit(true, 30 * 24 * 3_600_000)).toBe("");
});
