import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childEnv, noSettings } from "../testing/off-cloud-env.ts";
import { waitForValue } from "../testing/wait-for.ts";

// A crash of `mindgw serve` with `log.format: json` (an uncaught exception, a rejection no one
// handles) is told as one JSON line of its log, stack and all, and the process still ends with 1:
// a JSON log pipeline reads every line the process writes.

const MAIN = join(import.meta.dir, "../main.ts");
const PRELOAD = join(import.meta.dir, "../testing/crash-on-stdin.ts");
const dir = mkdtempSync(join(tmpdir(), "mindgw-crash-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `mindgw serve` in json, made to fail by `fault` once it serves: its exit code and stderr's lines. */
async function crashed(fault: "throw" | "reject") {
  const config = join(dir, `${fault}.yaml`);
  writeFileSync(config, `storage: { path: ${join(dir, `${fault}.db`)} }\nlog: { format: json }\n`);
  const gateway = Bun.spawn(
    [
      process.execPath,
      "--preload",
      PRELOAD,
      MAIN,
      "serve",
      "-c",
      config,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ],
    { cwd: dir, env: childEnv({}, noSettings), stdin: "pipe", stdout: "pipe", stderr: "pipe" },
  );
  try {
    let out = "";
    const decoder = new TextDecoder();
    void (async () => {
      for await (const chunk of gateway.stdout) out += decoder.decode(chunk, { stream: true });
    })();
    await waitForValue("the banner", () => out.includes("serving on"), 30_000);
    gateway.stdin.write(`${fault}\n`);
    await gateway.stdin.flush();
    const code = await waitForValue(
      "the exit",
      () => (gateway.exitCode === null ? undefined : { code: gateway.exitCode }),
      30_000,
    );
    const lines = (await new Response(gateway.stderr).text()).split("\n").filter(Boolean);
    return { ...code, lines };
  } finally {
    gateway.kill("SIGKILL");
  }
}

for (const fault of ["throw", "reject"] as const)
  test(`a crash (${fault}) in a json log is one JSON error line with its stack, redacted, and exit 1`, async () => {
    const { code, lines } = await crashed(fault);
    expect(code).toBe(1);
    const plain = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== "object";
      } catch {
        return true;
      }
    });
    expect(plain).toEqual([]);
    const said = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const crash = said.find((line) => String(line.msg).includes("a bug in a"));
    expect(crash).toMatchObject({ level: "error", stack: expect.stringContaining("crash-on-stdin.ts") });
    expect(lines.filter((line) => line.includes("sk-crash"))).toEqual([]);
  });
