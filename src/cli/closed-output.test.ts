import { expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditRecord } from "../audit/testing/audit-record.ts";
import { createLogger } from "../log/logger.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { childEnv, noSettings } from "../testing/off-cloud-env.ts";
import { waitForValue } from "../testing/wait-for.ts";
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

test("a terminal hung up (EIO on a tty) is a reader gone too: 0, nothing said; EIO on a file is a failure (1)", () => {
  const terminal = outputs("end");
  Object.assign(terminal.stdout, { isTTY: true });
  terminal.stdout.emit("error", failure("EIO"));
  expect([terminal.exits, terminal.said]).toEqual([[0], []]);
  const file = outputs("end");
  file.stdout.emit("error", failure("EIO"));
  expect(file.exits).toEqual([1]);
  const server = outputs("ignore");
  Object.assign(server.stdout, { isTTY: true });
  server.stdout.emit("error", failure("EIO"));
  expect([server.exits, server.said]).toEqual([[], []]);
});

test("a server ignores it and keeps serving", () => {
  const { stdout, exits } = outputs("ignore");
  stdout.emit("error", failure("EPIPE"));
  expect(exits).toEqual([]);
});

test("any other write error (a full disk) ends a command with 1, said in one line; a server says it once and serves on", () => {
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
  // Thrown, it was a stack trace in the log: a gateway must not stop or shout for its log sink.
  server.stdout.emit("error", failure("ENOSPC"));
  server.stdout.emit("error", failure("ENOSPC"));
  expect(server.exits).toEqual([]);
  expect(server.said).toEqual(["mindgw: cannot write the output: ENOSPC: write; serving on without it\n"]);
});

test("a server whose logger is made says it through the logger, in its format and at warn, once a stream", () => {
  const stdout = new EventEmitter();
  const stderr = new EventEmitter();
  const said: string[] = [];
  const logged: string[] = [];
  const logger = createLogger({ format: "json", write: (line) => logged.push(line) });
  onClosedOutput(
    "ignore",
    [stdout, stderr],
    () => {},
    (line) => said.push(line),
    () => logger,
  );
  stdout.emit("error", failure("ENOSPC"));
  stdout.emit("error", failure("ENOSPC"));
  expect(said).toEqual([]);
  expect(logged.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
    {
      time: expect.any(String),
      level: "warn",
      msg: "cannot write the output: ENOSPC: write; serving on without it",
    },
  ]);
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
      env: childEnv(),
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
      { env: childEnv(), stdout: "pipe", stderr: "pipe", timeout: 30_000 },
    );
    expect({ code: run.exitCode, stderr: run.stderr.toString() }).toEqual({
      code: 1,
      stderr: "mindgw: cannot write the output: ENOSPC: no space left on device, write\n",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

/** The CPU time a process has used so far, in clock ticks (user and system: /proc/PID/stat). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8")
    .replace(/^.*\) /s, "")
    .split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

test("serve with stdout into a full disk (> /dev/full) serves on: one line on stderr, in the log's format, no stack trace, no spin", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-serve-full-"));
  writeFileSync(join(dir, "gw.yaml"), "log: { format: json }\n");
  // `exec`: the process is the gateway itself, whose CPU time is read below.
  const gateway = Bun.spawn(
    [
      "bash",
      "-c",
      'exec "$0" "$@" > /dev/full',
      process.execPath,
      MAIN,
      "serve",
      "-c",
      "gw.yaml",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ],
    { cwd: dir, env: childEnv({}, noSettings), stdout: "ignore", stderr: "pipe" },
  );
  let err = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of gateway.stderr) err += decoder.decode(chunk, { stream: true });
  })();
  try {
    const port = await waitForValue(
      "the listening line",
      () => err.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1],
      30_000,
    );
    await waitForValue("the banner's failure said", () => err.includes("serving on without it"), 30_000);
    const before = { ticks: cpuTicks(gateway.pid), at: performance.now() };
    let served = 0;
    // Requests for at least half a second of wall time: a gateway spinning on its failed stdout
    // uses the CPU for all of it, one that serves them uses a part.
    while (performance.now() - before.at < 500) {
      const answer = await fetch(`http://127.0.0.1:${port}/healthz`);
      await answer.arrayBuffer();
      if (answer.status === 200) served++;
    }
    const cpuMs = ((cpuTicks(gateway.pid) - before.ticks) * 1000) / 100;
    const wallMs = performance.now() - before.at;
    expect(served).toBeGreaterThan(10);
    expect(cpuMs / wallMs).toBeLessThan(0.8);
    expect(gateway.exitCode).toBeNull();
    // Every line is the log's own (log.format: json), the failure among them, once.
    const lines = err
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { time: string; level: string; msg: string });
    expect(lines.filter((line) => line.msg.includes("serving on without it"))).toEqual([
      {
        time: expect.any(String),
        level: "warn",
        msg: "cannot write the output: ENOSPC: no space left on device, write; serving on without it",
      },
    ]);
  } finally {
    gateway.kill();
    await gateway.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
