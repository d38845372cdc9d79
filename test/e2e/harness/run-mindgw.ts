import { childEnv } from "../../../src/testing/off-cloud-env.ts";
import { assertBuilt, MINDGW } from "./binary.ts";

/** What one finished `mindgw …` invocation printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the compiled binary to completion (bounded: killed after `timeoutMs`). `env` is merged
 * over a copy of this process's environment with the MINDGW_* fallbacks removed, so a test
 * only sees the ones it passes; a name given `undefined` is removed as well. `via` is a command
 * that execs the binary in its own place (`setpriv --reuid=…`, to run it as another user).
 */
export async function runMindgw(
  args: readonly string[],
  options: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    timeoutMs?: number;
    via?: readonly string[];
  } = {},
): Promise<CliResult> {
  assertBuilt();
  const fallbacks = { MINDGW_CONFIG: undefined, MINDGW_GATEWAY: undefined, MINDGW_ADMIN_KEY: undefined };
  const proc = Bun.spawn([...(options.via ?? []), MINDGW, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: childEnv({ ...fallbacks, ...options.env }),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  try {
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
