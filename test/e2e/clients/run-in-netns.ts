import { join } from "node:path";
import { childEnv } from "../../../src/testing/off-cloud-env.ts";
import { assertBuilt } from "../harness/binary.ts";
import { tempDir } from "../harness/temp-dir.ts";
import type { Report } from "./loopback-world.ts";

/**
 * Runs a scenario file (`*.scenario.ts`, which calls inLoopbackWorld) inside `unshare -n`: a
 * new network namespace with only loopback (and a PID namespace, so nothing outlives it), where the client, the gateway and the fake upstream
 * run together and nothing can reach any other address. Needs root (or CAP_SYS_ADMIN), as CI has.
 * Returns the scenario's report; a scenario that fails or overruns fails with its output.
 */
export async function runInNetns(scenario: string, options: object, timeoutMs = 150_000): Promise<Report> {
  assertBuilt();
  const temp = tempDir("mindgw-netns-");
  const report = temp.file("report.json");
  try {
    // A PID namespace too: when the scenario ends (or is killed) the kernel ends every process
    // in it, the client's own children included (Codex's npm launcher forks its native binary).
    // Its own /proc, or Codex's bubblewrap sandbox hangs reading the outer namespace's.
    const argv = [
      "unshare",
      "--net",
      "--pid",
      "--fork",
      "--kill-child",
      "--mount-proc",
      "bun",
      join(import.meta.dir, scenario),
    ];
    const proc = Bun.spawn(argv, {
      env: childEnv({ SCENARIO: JSON.stringify(options), REPORT: report }),
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    clearTimeout(timer);
    const file = Bun.file(report);
    if (code !== 0 || !(await file.exists())) {
      throw new Error(`scenario ${scenario} exited with ${code}:\n${stdout}\n${stderr}`);
    }
    return (await file.json()) as Report;
  } finally {
    temp.cleanup();
  }
}

/** The upstream requests of a report, typed loosely for assertions. */
export type SeenRequest = {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
};
export const seen = (report: Report): SeenRequest[] => report.requests as SeenRequest[];
