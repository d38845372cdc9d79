import { expect, test } from "bun:test";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import { childEnv } from "../testing/off-cloud-env.ts";
import { batchedWrite, GATHER_MAX_LINES } from "./batched-write.ts";
import type { LineFormat } from "./line-format.ts";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** `message\n`, counting the lines it formats. */
function counting() {
  const counter = { lines: 0 };
  const format: LineFormat = (parts, n, _time, _level, message) => {
    counter.lines++;
    parts[n++] = message;
    parts[n++] = "\n";
    return n;
  };
  return { format, counter };
}

test("lines written within the bound reach stderr as one write, in order", async () => {
  const writes: string[] = [];
  const { format } = counting();
  const batch = batchedWrite(format, (text) => writes.push(text));
  batch.later("t", "info", "a", undefined, false);
  batch.text("b\n", false);
  await nextTurn();
  batch.later("t", "info", "c", undefined, false);
  expect(writes).toEqual([]);
  await waitFor("the batch", () => writes.length > 0);
  expect(writes).toEqual(["a\nb\nc\n"]);
  batch.later("t", "info", "d", undefined, false);
  await waitFor("the second batch", () => writes.length > 1);
  expect(writes).toEqual(["a\nb\nc\n", "d\n"]);
});

test("a line is formatted when its batch is written, every line of the batch in one pass", async () => {
  const writes: string[] = [];
  const { format, counter } = counting();
  const batch = batchedWrite(format, (text) => writes.push(text), undefined, 60_000);
  batch.later("t", "info", "a", { n: 1 }, false);
  batch.later("t", "info", "b", { n: 2 }, false);
  expect(counter.lines).toBe(0);
  batch.later("t", "warn", "c", undefined, true);
  expect(counter.lines).toBe(0);
  await nextTurn();
  expect(counter.lines).toBe(3);
  expect(writes).toEqual(["a\nb\nc\n"]);
});

test("lines wait across turns of the event loop until the bound, or until the batch is full", async () => {
  const writes: string[] = [];
  const batch = batchedWrite(counting().format, (text) => writes.push(text), undefined, 60_000);
  batch.later("t", "info", "a", undefined, false);
  for (let turn = 0; turn < 5; turn++) await nextTurn();
  expect(writes).toEqual([]);
  // The batch's last line (the cap's) has it written at once, in order.
  for (let i = 2; i < GATHER_MAX_LINES; i++) batch.later("t", "info", "x", undefined, false);
  expect(writes).toEqual([]);
  batch.text("last\n", false);
  expect(writes).toEqual([`a\n${"x\n".repeat(GATHER_MAX_LINES - 2)}last\n`]);
  batch.later("t", "info", "b", undefined, false);
  await nextTurn();
  expect(writes).toHaveLength(1);
});

test("a line written soon goes at the end of the turn, with every line pending before it", async () => {
  const writes: string[] = [];
  const batch = batchedWrite(counting().format, (text) => writes.push(text), undefined, 60_000);
  batch.later("t", "info", "access", undefined, false);
  await nextTurn();
  batch.later("t", "warn", "warning", undefined, true);
  batch.text("after\n", false);
  expect(writes).toEqual([]);
  await nextTurn();
  expect(writes).toEqual(["access\nwarning\nafter\n"]);
});

/** A process that queues two lines (`first`, formatted later, and `last`), then runs `tail`. */
async function queuedThen(tail: string, gatherMs = 10) {
  const script = [
    `import { batchedWrite } from "${import.meta.dir}/batched-write.ts";`,
    `const format = (parts, n, time, level, message) => { parts[n++] = message; parts[n++] = "\\n"; return n; };`,
    `const batch = batchedWrite(format, undefined, undefined, ${gatherMs});`,
    `batch.later("t", "info", "first", undefined, false); batch.text("last\\n", false);`,
    tail,
  ].join(" ");
  const proc = Bun.spawn([process.execPath, "-e", script], {
    env: childEnv(),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: await proc.exited, stderr: await new Response(proc.stderr).text() };
}

test("lines pending at exit are formatted and written synchronously", async () => {
  expect(await queuedThen("process.exit(3);")).toEqual({ code: 3, stderr: "first\nlast\n" });
});

test("pending lines hold nothing open, and reach stderr when the process ends on its own or crashes", async () => {
  // With a 60 s bound, an exit before it shows the timer does not keep the process alive.
  expect(await queuedThen("", 60_000)).toEqual({ code: 0, stderr: "first\nlast\n" });
  const crashed = await queuedThen(`setImmediate(() => { throw new Error("boom"); });`, 60_000);
  expect(crashed.code).not.toBe(0);
  // Bun prints the error, then runs the exit handlers, then its version line.
  expect(crashed.stderr).toMatch(/error: boom[\s\S]*\nfirst\nlast\n/);
});

test("one exit listener serves every batch: a process that makes many loggers adds one, and each batch's lines are written", async () => {
  const before = process.listenerCount("exit");
  for (let i = 0; i < 12; i++) batchedWrite(counting().format);
  expect(process.listenerCount("exit") - before).toBeLessThanOrEqual(1);
  const second = `const other = batchedWrite(format, undefined, undefined, 60000); other.text("second\\n", false); process.exit(0);`;
  expect(await queuedThen(second, 60_000)).toEqual({ code: 0, stderr: "first\nlast\nsecond\n" });
});
