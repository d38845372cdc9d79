import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { runMindgw } from "./harness/run-mindgw.ts";
import { tempDir } from "./harness/temp-dir.ts";

// Real processes on a shared 2-core machine: generous bounds.
setDefaultTimeout(60_000);

// The two ways a first `mindgw serve` on a host most often fails, each saying what to type
// instead: the config given as an argument (commander's "too many arguments for 'serve'" named no
// -c), and a port another process holds ("…already in use (another mindgw?)" named no setting).

const dir = tempDir("mindgw-serve-hints-");
afterAll(() => dir.cleanup());

const config = dir.file("gw.yaml");
writeFileSync(config, `storage: { path: ${dir.file("gw.db")} }\n`);

test("serve given its config as an argument says to give it with -c, exit 2", async () => {
  const result = await runMindgw(["serve", config], { cwd: dir.path });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`mindgw: serve takes its config with -c: mindgw serve -c ${config}`);
});

test("serve on a port in use names --port and server.port, exit 1", async () => {
  const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("taken") });
  try {
    const result = await runMindgw(
      ["serve", "-c", config, "--host", "127.0.0.1", "--port", String(taken.port)],
      {
        cwd: dir.path,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `cannot listen on 127.0.0.1:${taken.port}: the address is already in use (another mindgw? give this one another port: --port or server.port)`,
    );
  } finally {
    taken.stop(true);
  }
});
