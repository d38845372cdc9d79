import { expect, test } from "bun:test";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import { batchedWrite, GATHER_MAX_CHARS } from "./batched-write.ts";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test("lines written within the bound reach stderr as one write, in order", async () => {
  const writes: string[] = [];
  const write = batchedWrite((text) => writes.push(text));
  write("a\n");
  write("b\n");
  await nextTurn();
  write("c\n");
  expect(writes).toEqual([]);
  await waitFor("the batch", () => writes.length > 0);
  expect(writes).toEqual(["a\nb\nc\n"]);
  write("d\n");
  await waitFor("the second batch", () => writes.length > 1);
  expect(writes).toEqual(["a\nb\nc\n", "d\n"]);
});

test("lines wait across turns of the event loop until the bound", async () => {
  const writes: string[] = [];
  const write = batchedWrite((text) => writes.push(text), undefined, 60_000);
  write("a\n");
  for (let turn = 0; turn < 5; turn++) await nextTurn();
  expect(writes).toEqual([]);
  // A batch that reaches the size cap is written at once, pending lines first.
  const big = `${"x".repeat(GATHER_MAX_CHARS)}\n`;
  write(big);
  expect(writes).toEqual([`a\n${big}`]);
  write("b\n");
  await nextTurn();
  expect(writes).toHaveLength(1);
});

test("a line written soon goes at the end of the turn, with every line pending before it", async () => {
  const writes: string[] = [];
  const write = batchedWrite((text) => writes.push(text), undefined, 60_000);
  write("access\n");
  await nextTurn();
  write("warning\n", true);
  write("after\n");
  expect(writes).toEqual([]);
  await nextTurn();
  expect(writes).toEqual(["access\nwarning\nafter\n"]);
});

test("lines pending at exit are written synchronously", async () => {
  const proc = Bun.spawn(
    [
      process.execPath,
      "-e",
      `import { batchedWrite } from "${import.meta.dir}/batched-write.ts"; const w = batchedWrite(); w("first\\n"); w("last\\n"); process.exit(3);`,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  expect(await proc.exited).toBe(3);
  expect(await new Response(proc.stderr).text()).toBe("first\nlast\n");
});

test("pending lines hold nothing open, and reach stderr when the process ends on its own or crashes", async () => {
  const run = async (tail: string) => {
    const proc = Bun.spawn(
      [
        process.execPath,
        "-e",
        `import { batchedWrite } from "${import.meta.dir}/batched-write.ts"; const w = batchedWrite(undefined, undefined, 60_000); w("first\\n"); w("last\\n"); ${tail}`,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    return { code: await proc.exited, stderr: await new Response(proc.stderr).text() };
  };
  // With a 60 s bound, an exit before it shows the timer does not keep the process alive.
  expect(await run("")).toEqual({ code: 0, stderr: "first\nlast\n" });
  const crashed = await run(`setImmediate(() => { throw new Error("boom"); });`);
  expect(crashed.code).not.toBe(0);
  // Bun prints the error, then runs the exit handlers, then its version line.
  expect(crashed.stderr).toMatch(/error: boom[\s\S]*\nfirst\nlast\n/);
});
