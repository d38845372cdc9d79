import { expect, test } from "bun:test";
import { join } from "node:path";
import { Glob } from "bun";
import { childEnv } from "./off-cloud-env.ts";

// What the gateway loads on first need (the price catalogue, YAML, OpenTelemetry's TraceState) is
// loaded once for every other test by the preload (bunfig.toml, loaded-on-demand.ts), and a module
// once loaded stays loaded for the whole `bun test` process. The path that loads it is tested in
// `*.fresh.ts` files (bun:test files `bun test` does not pick up itself), each run here by
// `bun test` in a process of its own, without the preload: as the gateway starts.
const ROOT = join(import.meta.dir, "../..");
const files = [...new Glob("src/**/*.fresh.ts").scanSync(ROOT)].sort();

test("the fresh-process tests are found", () => {
  expect(files.length).toBeGreaterThan(0);
});

for (const file of files)
  test(`${file}, in a process of its own without the preload`, async () => {
    const run = Bun.spawn(
      [process.execPath, "--config=/dev/null", "test", "--timeout", "20000", `./${file}`],
      {
        cwd: ROOT,
        // Without the preload, so its off-cloud environment is passed (off-cloud-env.ts).
        env: childEnv(),
        stdout: "pipe",
        stderr: "pipe",
        // Bounded, and killed past it: never a process left behind.
        timeout: 50_000,
      },
    );
    const [out, err, code] = await Promise.all([
      new Response(run.stdout).text(),
      new Response(run.stderr).text(),
      run.exited,
    ]);
    // bun test reports on stderr: shown when it failed.
    expect({ code, report: code === 0 ? "" : `${out}${err}` }).toEqual({ code: 0, report: "" });
  }, 60_000);
