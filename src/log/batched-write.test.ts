import { expect, test } from "bun:test";
import { batchedWrite } from "./batched-write.ts";

test("lines written in one turn reach stderr as one write, in order, on the next turn", async () => {
  const writes: string[] = [];
  const write = batchedWrite((text) => writes.push(text));
  write("a\n");
  write("b\n");
  write("c\n");
  expect(writes).toEqual([]);
  await new Promise((resolve) => setImmediate(resolve));
  expect(writes).toEqual(["a\nb\nc\n"]);
  write("d\n");
  await new Promise((resolve) => setImmediate(resolve));
  expect(writes).toEqual(["a\nb\nc\n", "d\n"]);
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
