import { expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditRecord } from "../audit/testing/audit-record.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { onClosedOutput } from "./closed-output.ts";

const MAIN = join(import.meta.dir, "../main.ts");

const failure = (code: string) => Object.assign(new Error(`${code}: write`), { code });

function outputs(policy: "end" | "ignore") {
  const stdout = new EventEmitter();
  const stderr = new EventEmitter();
  const exits: number[] = [];
  const said: string[] = [];
  onClosedOutput(
    policy,
    [stdout, stderr],
    (code) => exits.push(code),
    (line) => said.push(line),
  );
  return { stdout, stderr, exits, said };
}

test("a closed pipe ends a command at once with 0, on stdout or stderr", () => {
  const { stdout, stderr, exits } = outputs("end");
  stdout.emit("error", failure("EPIPE"));
  stderr.emit("error", failure("EPIPE"));
  expect(exits).toEqual([0, 0]);
});

test("a server ignores it and keeps serving", () => {
  const { stdout, exits } = outputs("ignore");
  stdout.emit("error", failure("EPIPE"));
  expect(exits).toEqual([]);
});

test("any other write error (a full disk) ends a command with 1, said in one line; a server's is not swallowed", () => {
  const { stdout, stderr, exits, said } = outputs("end");
  // Thrown, it was a stack trace, and the command's own listener never heard of it.
  stdout.emit("error", failure("ENOSPC"));
  stderr.emit("error", failure("EIO"));
  expect(exits).toEqual([1, 1]);
  expect(said).toEqual([
    "mindgw: cannot write the output: ENOSPC: write\n",
    "mindgw: cannot write to stderr: EIO: write\n",
  ]);
  const server = outputs("ignore");
  expect(() => server.stdout.emit("error", failure("ENOSPC"))).toThrow("ENOSPC");
  expect(server.exits).toEqual([]);
});

test("a policy given as a function is asked at each failure: what the command chose by then", () => {
  let policy: "end" | "ignore" = "end";
  const stdout = new EventEmitter();
  const exits: number[] = [];
  onClosedOutput(
    () => policy,
    [stdout],
    (code) => exits.push(code),
  );
  stdout.emit("error", failure("EPIPE"));
  policy = "ignore";
  stdout.emit("error", failure("EPIPE"));
  expect(exits).toEqual([0]);
});

/** `"$0" "$@"` with its stdout piped to a reader gone at once, then the exit code it ended with. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell command, not a template
const PIPED_TO_NOTHING = '"$0" "$@" | true; echo "exit=${PIPESTATUS[0]}"';

test("--help, the version and a command's help into a reader already gone: exit 0, no stack trace", () => {
  for (const args of [
    ["--help"],
    ["--version"],
    ["help", "keys"],
    ["keys", "help", "create"],
    ["audit", "query", "--help"],
  ]) {
    // `true` reads nothing and exits at once, well before the CLI has started: every write fails (EPIPE).
    const run = Bun.spawnSync(["bash", "-c", PIPED_TO_NOTHING, process.execPath, MAIN, ...args], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect({ args, stdout: run.stdout.toString(), stderr: run.stderr.toString() }).toEqual({
      args,
      stdout: "exit=0\n",
      stderr: "",
    });
  }
}, 60_000);

test("audit export into a full disk (> /dev/full): exit 1 in one line, where it spun forever after a stack trace", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-full-disk-"));
  try {
    const db = join(dir, "gw.db");
    const served = openSqliteStorage(db);
    await served.audit.probe();
    await served.audit.insert([auditRecord({ requestId: "req_full_disk" })]);
    await served.close();
    writeFileSync(join(dir, "gw.yaml"), `storage: { path: ${db} }\n`);
    const run = Bun.spawnSync(
      [
        "bash",
        "-c",
        '"$0" "$@" > /dev/full',
        process.execPath,
        MAIN,
        "audit",
        "export",
        "-c",
        join(dir, "gw.yaml"),
      ],
      { stdout: "pipe", stderr: "pipe", timeout: 30_000 },
    );
    expect({ code: run.exitCode, stderr: run.stderr.toString() }).toEqual({
      code: 1,
      stderr: "mindgw: cannot write the output: ENOSPC: no space left on device, write\n",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
