/** The shape of a gateway key, to find a one-time admin key in startup output. */
const KEY_PATTERN = /mgw_[A-Za-z0-9]{43}/;

/**
 * A client key for a fresh gateway: `mindgw keys create --json` against the bench config,
 * when that command exists and succeeds; undefined otherwise (the caller then looks for the
 * bootstrap admin key in the server's output, see `keyInOutput`).
 */
export async function createBenchKey(
  binary: string | readonly string[],
  configPath: string,
  role: "user" | "worker" | "admin" = "user",
): Promise<string | undefined> {
  const args = ["keys", "create", "-c", configPath, "--name", `bench-${role}`, "--role", role];
  args.push("--models", "*", "--json");
  // Limits on, as in production: counted on every request, too high ever to refuse one.
  if (role === "user") args.push("--rpm", "1000000000", "--tpm", "1000000000000");
  const proc = Bun.spawn([...commandOf(binary), ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "ignore",
  });
  const killer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  const out = await new Response(proc.stdout).text();
  const code = await proc.exited;
  clearTimeout(killer);
  if (code !== 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(out);
    if (typeof parsed === "object" && parsed !== null && "key" in parsed && typeof parsed.key === "string") {
      return parsed.key;
    }
  } catch {
    // Not JSON: an older binary's help text.
  }
  return undefined;
}

/** A gateway's command line: a compiled binary's path, or a command such as `["bun", "src/main.ts"]`. */
export function commandOf(binary: string | readonly string[]): string[] {
  return typeof binary === "string" ? [binary] : [...binary];
}

export function keyInOutput(text: string): string | undefined {
  return text.match(KEY_PATTERN)?.[0];
}
