import { expect, test } from "bun:test";
import { chmodSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { childEnv } from "../../src/testing/off-cloud-env.ts";
import { runningOf } from "./harness/left-behind.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

const ROOT = join(import.meta.dir, "../..");

/** Bun run with `args` in `cwd` (the repository's root unless given), bounded and killed past it. */
async function runBun(
  args: string[],
  {
    cwd = ROOT,
    env = {},
    timeout = 100_000,
  }: { cwd?: string; env?: Record<string, string>; timeout?: number },
): Promise<{ out: string; err: string; code: number }> {
  const run = Bun.spawn([process.execPath, ...args], {
    cwd,
    env: childEnv(env),
    stdout: "pipe",
    stderr: "pipe",
    timeout,
  });
  const [out, err, code] = await Promise.all([
    new Response(run.stdout).text(),
    new Response(run.stderr).text(),
    run.exited,
  ]);
  return { out, err, code };
}

/**
 * The processes of each `{"pids": [...]}` a run printed, in order, each `pid:start time`
 * (left-behind.ts processIds); it failed if it printed none.
 */
function printedPids(out: string): string[][] {
  const printed = [...out.matchAll(/\{"pids":\[[\d:",]*\]\}/g)].map(
    ([line]) => (JSON.parse(line) as { pids: string[] }).pids,
  );
  if (printed.length === 0) throw new Error(`the run printed no pids:\n${out}`);
  return printed;
}

/**
 * "none" once none of `pids` runs, or "some" if one still does after 10 s: a SIGKILL sent as a
 * run ended takes effect a moment after, so it is waited for, then asserted once.
 */
const stillRunning = (what: string, pids: readonly string[]) =>
  waitFor(what, () => (runningOf(pids).length > 0 ? false : "none"), 10_000).catch(() => "some");

/** The harness's server folders (PostgreSQL's, initdb's template, Redis's) in `dir`. */
const serverFolders = (dir: string) =>
  readdirSync(dir).filter((name) => name.startsWith("mindgw-pg-") || name.startsWith("mindgw-redis-"));

/** `serverFolders` once none is left, or those still there after 10 s (removed as the run ends). */
const foldersLeft = (dir: string) =>
  waitFor("the servers' folders to go", () => serverFolders(dir).length === 0 && [], 10_000).catch(() =>
    serverFolders(dir),
  );

// What the harness starts and a file does not stop (a server, initdb's template cluster, which
// every startPostgres copies) is ended when the `bun test` run ends, or every run leaves a
// template of ~40 MB in /tmp and a file that failed before its stop leaves its servers running.
// The run here is the suite's own (`bun test` in the repository, its bunfig.toml preload), in a
// process of its own whose temp dir (TMPDIR) is this test's.
test("a run's servers no file stopped, and initdb's template, are gone when the run ends", async () => {
  const temp = tempDir("mindgw-left-behind-");
  // As root the servers run as the `postgres` user (postgres-server.ts), which makes its folders here.
  chmodSync(temp.path, 0o755);
  let pids: string[] = [];
  try {
    const { out, err, code } = await runBun(
      ["test", "--timeout", "90000", "./test/e2e/harness/unstopped-servers.run.ts"],
      { env: { TMPDIR: temp.path } },
    );
    // bun test reports on stderr: shown when it failed.
    expect({ code, report: code === 0 ? "" : `${out}${err}` }).toEqual({ code: 0, report: "" });
    pids = printedPids(out)[0] ?? [];
    expect(pids.length).toBeGreaterThanOrEqual(2);
    const running = await stillRunning("the servers to end", pids);
    // The servers' folders too, not only the template.
    expect({ running, folders: serverFolders(temp.path) }).toEqual({ running: "none", folders: [] });
  } finally {
    // Red, the run left them: this test leaves nothing. Only those still the processes printed
    // (runningOf): a pid gone may be another process's by now.
    for (const pid of runningOf(pids)) process.kill(pid, "SIGKILL");
    temp.cleanup();
  }
}, 120_000);

// A run killed outright runs none of its hooks: the watchdog ends its servers. PostgreSQL's
// backends each run in a session of their own, not the postmaster's group: killing the postmaster
// alone left one busy in a query running (it looks for the postmaster only when it waits),
// holding its data folder.
test("a run killed outright: the watchdog ends its PostgreSQL server whole, backends too, and removes its folders", async () => {
  const temp = tempDir("mindgw-left-behind-");
  chmodSync(temp.path, 0o755);
  let pids: string[] = [];
  try {
    const { out } = await runBun(["test", "--timeout", "90000", "./test/e2e/harness/killed-run.run.ts"], {
      env: { TMPDIR: temp.path },
    });
    pids = printedPids(out)[0] ?? [];
    // The postmaster and at least one backend (the checkpointer, the WAL writer, …).
    expect(pids.length).toBeGreaterThanOrEqual(2);
    const running = await stillRunning("the server's processes to end", pids);
    expect({ running, folders: await foldersLeft(temp.path) }).toEqual({ running: "none", folders: [] });
  } finally {
    for (const pid of runningOf(pids)) process.kill(pid, "SIGKILL");
    temp.cleanup();
  }
}, 120_000);

// Benchmarks import the harness under `bun run`, outside the test runner: it must load there (no
// bun:test hook at its top level, which throws outside `bun test`), and what it started and the
// script did not stop ends with the process ("exit", which `bun run` emits).
test("outside the test runner the harness loads, and a server left running ends at exit", async () => {
  const script = [
    'const { startRedis } = await import("./test/e2e/harness/redis-server.ts");',
    'const { processIds } = await import("./test/e2e/harness/left-behind.ts");',
    "console.log(JSON.stringify({ pids: processIds((await startRedis()).pids()) }));",
    "process.exit(0);",
  ].join(" ");
  let pids: string[] = [];
  try {
    const { out, err, code } = await runBun(["--eval", script], { timeout: 60_000 });
    expect({ code, report: code === 0 ? "" : `${out}${err}` }).toEqual({ code: 0, report: "" });
    pids = printedPids(out)[0] ?? [];
    const running = await stillRunning("Redis to end", pids);
    expect(running).toBe("none");
  } finally {
    for (const pid of runningOf(pids)) process.kill(pid, "SIGKILL");
  }
}, 90_000);

// The shared PostgreSQL server stops in a preloaded hook before the one ending what is left
// (bunfig.toml); a hook that throws makes Bun skip the preloaded hooks after it, so a failed stop
// must not leave the rest running.
test("a run whose shared server's stop failed still ends what no file stopped", async () => {
  const temp = tempDir("mindgw-left-behind-");
  chmodSync(temp.path, 0o755);
  let pids: string[] = [];
  try {
    const { out, err, code } = await runBun(
      ["test", "--timeout", "90000", "./test/e2e/harness/failed-shared-stop.run.ts"],
      { env: { TMPDIR: temp.path } },
    );
    pids = printedPids(out)[0] ?? [];
    const running = await stillRunning("Redis to end", pids);
    // The failed stop still fails the run: reported, not swallowed.
    expect({ failed: code !== 0 && err.includes("stop failed (on purpose)"), running }).toEqual({
      failed: true,
      running: "none",
    });
  } finally {
    for (const pid of runningOf(pids)) process.kill(pid, "SIGKILL");
    temp.cleanup();
  }
}, 120_000);

// A run without the preload (`bun test` from outside the repository, which reads no bunfig.toml):
// the shared server's stop is then the first asking file's, after its tests, and a later file that
// asks starts a server of its own that no hook stops. It ends when the run's process does all the
// same, as every server the harness starts does, however the process ends.
test("a run without the preload: a shared server a later file asked for ends with the run", async () => {
  const temp = tempDir("mindgw-left-behind-");
  chmodSync(temp.path, 0o755);
  const asks = [
    'import { test } from "bun:test";',
    `import { sharedPostgres } from ${JSON.stringify(join(ROOT, "test/e2e/harness/shared-postgres.ts"))};`,
    `import { processIds } from ${JSON.stringify(join(ROOT, "test/e2e/harness/left-behind.ts"))};`,
    'test("asks for the shared server", async () => {',
    "  const shared = (await sharedPostgres()) as { pids(): number[] };",
    "  console.log(JSON.stringify({ pids: processIds(shared.pids()) }));",
    "});",
  ].join("\n");
  for (const name of ["first.test.ts", "second.test.ts"]) writeFileSync(temp.file(name), asks);
  let pids: string[] = [];
  try {
    const { out, err, code } = await runBun(
      ["test", "--timeout", "90000", "./first.test.ts", "./second.test.ts"],
      {
        cwd: temp.path,
        env: { TMPDIR: temp.path },
      },
    );
    expect({ code, report: code === 0 ? "" : `${out}${err}` }).toEqual({ code: 0, report: "" });
    const asked = printedPids(out);
    pids = asked.flat();
    // Two servers, the first file's stopped by its hook, the second's by nothing of the run's.
    expect(asked.map((list) => list.length > 0)).toEqual([true, true]);
    expect(await stillRunning("the servers to end", pids)).toBe("none");
    // Nor their folders: the second server's and initdb's template (~40 MB each) in TMPDIR.
    expect(await foldersLeft(temp.path)).toEqual([]);
  } finally {
    for (const pid of runningOf(pids)) process.kill(pid, "SIGKILL");
    temp.cleanup();
  }
}, 120_000);
