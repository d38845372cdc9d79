import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOG_FORMATS } from "../log/logger.ts";
import { childEnv, noSettings } from "../testing/off-cloud-env.ts";

// A start that fails once the config is read (a port in use: SPEC "a second process on a port in
// use fails to start") says why in the log's own format, a JSON line in a JSON log, with exit 1;
// one that fails before (an invalid config) has no format to follow and says it plainly.

const MAIN = join(import.meta.dir, "../main.ts");
const dir = mkdtempSync(join(tmpdir(), "mindgw-serve-failure-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `mindgw serve -c FILE` with `yaml` as its config, on `port`: its exit code and stderr's lines. */
function serveOn(name: string, yaml: string, port: number) {
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, `storage: { path: ${join(dir, `${name}.db`)} }\n${yaml}`);
  const run = Bun.spawnSync(
    [process.execPath, MAIN, "serve", "-c", config, "--host", "127.0.0.1", "--port", String(port)],
    { cwd: dir, env: childEnv({}, noSettings), stdout: "pipe", stderr: "pipe", timeout: 30_000 },
  );
  return { code: run.exitCode, lines: run.stderr.toString().split("\n").filter(Boolean) };
}

test("a port in use: exit 1, why said as an error line in log.format, every line the log's own", () => {
  const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("taken") });
  try {
    const port = taken.port ?? 0;
    for (const format of LOG_FORMATS) {
      const { code, lines } = serveOn(format, `log: { format: ${format} }\n`, port);
      expect({ format, code }).toEqual({ format, code: 1 });
      const read =
        format === "json"
          ? lines.map((line) => JSON.parse(line) as { level: string; msg: string })
          : lines.map((line) => {
              const [, level = "", msg = ""] = /^\d{4}-\d\d-\d\dT\S+Z (\w+) (.*)$/.exec(line) ?? [];
              return { level, msg };
            });
      expect({ format, plain: read.filter((line) => line.level === "") }).toEqual({ format, plain: [] });
      const why = read.filter((line) => line.msg.includes("already in use"));
      expect({ format, why }).toEqual({
        format,
        why: [
          {
            ...(format === "json" ? { time: expect.any(String) } : {}),
            level: "error",
            msg: expect.stringMatching(
              /^cannot listen on 127\.0\.0\.1:\d+.*already in use \(another mindgw\? .*--port or server\.port\)$/,
            ),
          },
        ],
      });
    }
  } finally {
    taken.stop(true);
  }
}, 60_000);

test("an invalid config has no log format yet: said plainly, exit 2", () => {
  const { code, lines } = serveOn("invalid", "log: { format: json }\nbogus: true\n", 0);
  expect(code).toBe(2);
  expect(lines[0]).toStartWith("invalid config:");
});
