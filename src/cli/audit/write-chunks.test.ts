import { afterAll, expect, test } from "bun:test";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "../../audit/audit-fixture.ts";
import { childEnv } from "../../testing/off-cloud-env.ts";
import { UsageError } from "../exit-code.ts";
import { writeChunks } from "./write-chunks.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);

async function* rows(): AsyncGenerator<string> {
  yield "row1\n";
  yield "row2\n";
}

function folder(name: string): string {
  const dir = join(tmp.path, name);
  mkdirSync(dir);
  return dir;
}

test("an export over an existing file keeps its mode: a 0600 file stays readable by its owner alone", async () => {
  const dir = folder("mode");
  const output = join(dir, "audit.ndjson");
  writeFileSync(output, "old\n");
  chmodSync(output, 0o600);
  await writeChunks(rows(), output);
  expect(readFileSync(output, "utf8")).toBe("row1\nrow2\n");
  expect(statSync(output).mode & 0o777).toBe(0o600);
  expect(readdirSync(dir)).toEqual(["audit.ndjson"]);
});

test("an export through a symlink writes the file it names and leaves the link", async () => {
  const dir = folder("link");
  mkdirSync(join(dir, "real"));
  const real = join(dir, "real", "audit.ndjson");
  writeFileSync(real, "old\n");
  symlinkSync(real, join(dir, "audit.ndjson"));
  await writeChunks(rows(), join(dir, "audit.ndjson"));
  expect(lstatSync(join(dir, "audit.ndjson")).isSymbolicLink()).toBe(true);
  expect(readFileSync(real, "utf8")).toBe("row1\nrow2\n");
  expect(readdirSync(join(dir, "real"))).toEqual(["audit.ndjson"]);
});

test("an export through a symlink whose file is not there yet makes that file and leaves the link, relative or not", async () => {
  const dir = folder("dangling");
  mkdirSync(join(dir, "real"));
  symlinkSync("real/relative.ndjson", join(dir, "relative.ndjson"));
  symlinkSync(join(dir, "real", "absolute.ndjson"), join(dir, "absolute.ndjson"));
  for (const name of ["relative.ndjson", "absolute.ndjson"]) {
    await writeChunks(rows(), join(dir, name));
    expect([name, lstatSync(join(dir, name)).isSymbolicLink()]).toEqual([name, true]);
    expect(readFileSync(join(dir, "real", name), "utf8")).toBe("row1\nrow2\n");
  }
  expect(readdirSync(join(dir, "real")).sort()).toEqual(["absolute.ndjson", "relative.ndjson"]);
});

test("an export to a pipe (-o >(gzip …), a FIFO) writes into it, making no file beside it", async () => {
  const dir = folder("fifo");
  const fifo = join(dir, "rows");
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  const reader = Bun.spawn(["cat", fifo], { stdout: "pipe" });
  try {
    await writeChunks(rows(), fifo);
    expect(await new Response(reader.stdout).text()).toBe("row1\nrow2\n");
    expect(readdirSync(dir)).toEqual(["rows"]);
  } finally {
    reader.kill();
  }
});

test("a link left at the partial file's name is not written through: the export fails, its target untouched", async () => {
  const dir = folder("planted");
  const victim = join(dir, "victim");
  writeFileSync(victim, "mine\n");
  const output = join(dir, "audit.ndjson");
  symlinkSync(victim, `${output}.partial-${process.pid}`);
  await expect(writeChunks(rows(), output)).rejects.toThrow("EEXIST");
  expect(readFileSync(victim, "utf8")).toBe("mine\n");
});

test("Ctrl-C during an export removes the partial file, and the process dies of the signal", async () => {
  const dir = folder("interrupted");
  const output = join(dir, "audit.ndjson");
  const script = join(dir, "export.ts");
  // One chunk written, then an answer that never comes: the export is under way when the signal lands.
  writeFileSync(
    script,
    `import { writeChunks } from ${JSON.stringify(resolve(import.meta.dir, "write-chunks.ts"))};
     async function* rows() { yield "row1\\n"; console.log("written"); await new Promise(() => {}); }
     await writeChunks(rows(), ${JSON.stringify(output)});`,
  );
  const child = Bun.spawn([process.execPath, script], { env: childEnv(), stdout: "pipe", stderr: "inherit" });
  try {
    const reader = child.stdout.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("written");
    expect(readdirSync(dir).filter((name) => name.includes(".partial-"))).toHaveLength(1);
    child.kill("SIGINT");
    await child.exited;
    expect(child.signalCode).toBe("SIGINT");
    expect(readdirSync(dir).sort()).toEqual(["export.ts"]);
  } finally {
    child.kill();
  }
});

test("-o into a folder that is not there, or naming a folder: a usage error naming what was given, nothing written", async () => {
  const dir = folder("wrong-output");
  const missing = join(dir, "no-such-folder", "audit.ndjson");
  // It said `ENOENT: no such file or directory, open '…/audit.ndjson.partial-<pid>'`, exit 1.
  const intoMissing = writeChunks(rows(), missing);
  await expect(intoMissing).rejects.toBeInstanceOf(UsageError);
  await expect(intoMissing).rejects.toThrow(`-o ${missing}: no such folder ${join(dir, "no-such-folder")}`);
  // It said `EISDIR: illegal operation on a directory, open '…'`, exit 1.
  const intoFolder = writeChunks(rows(), dir);
  await expect(intoFolder).rejects.toBeInstanceOf(UsageError);
  await expect(intoFolder).rejects.toThrow(`-o ${dir}: a folder, not a file`);
  expect(readdirSync(dir)).toEqual([]);
});

test("a destination that refuses the writes (-o /dev/full, a full disk) is named as given, with why", async () => {
  // Was the bare "ENOSPC: no space left on device, write", naming no file.
  await expect(writeChunks(rows(), "/dev/full")).rejects.toThrow(
    "-o /dev/full: ENOSPC: no space left on device",
  );
  // The chunks' own failure (the gateway, the store) is theirs: not put on the file.
  async function* failing(): AsyncGenerator<string> {
    yield "row1\n";
    throw new Error("cannot reach the gateway at http://gw");
  }
  const output = join(folder("chunks-fail"), "audit.ndjson");
  await expect(writeChunks(failing(), output)).rejects.toThrow(/^cannot reach the gateway at http:\/\/gw$/);
});
