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

// A host that is no address of this machine (256.1.1.1 is none at all; 192.0.2.1, TEST-NET-1, is
// none here) is a setting to fix, as an empty --host is: it said the bare system error
// ("EINVAL: invalid argument, listen"), exit 1, as for a runtime failure.
test.each([
  ["256.1.1.1", "EINVAL"],
  ["192.0.2.1", "EADDRNOTAVAIL"],
])("serve --host %s names the setting to fix, exit 2", async (host, code) => {
  const result = await runMindgw(["serve", "-c", config, "--host", host, "--port", "0"], { cwd: dir.path });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(
    `cannot listen on ${host}:0: no address of this machine (${code}): give --host or server.host the address to listen on (0.0.0.0: every IPv4 interface; 127.0.0.1: this host alone)`,
  );
});

test("server.host that is no address of this machine is a config error too, exit 2", async () => {
  const hosted = dir.file("hosted.yaml");
  writeFileSync(
    hosted,
    `server: { host: 256.1.1.1, port: 0 }\nstorage: { path: ${dir.file("hosted.db")} }\n`,
  );
  const result = await runMindgw(["serve", "-c", hosted], { cwd: dir.path });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(
    "cannot listen on 256.1.1.1:0: no address of this machine (EINVAL): give --host or server.host",
  );
});

// metrics.listen is a listener of its own, bound as the gateway starts: a host there that is no
// address of this machine said "metrics.listen: cannot listen on …", exit 1, as for a runtime
// failure, where server.host's is a setting to fix (exit 2) saying what to give.
test.each([
  ["999.1.1.1:9464", "EINVAL"],
  ["nohost.invalid:9464", "EINVAL"],
])("metrics.listen: %s names the setting to fix, exit 2", async (listen, code) => {
  const metered = dir.file("metered.yaml");
  writeFileSync(
    metered,
    `server: { host: 127.0.0.1, port: 0 }\nstorage: { path: ${dir.file("metered.db")} }\nmetrics: { listen: "${listen}" }\n`,
  );
  const result = await runMindgw(["serve", "-c", metered], { cwd: dir.path });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(
    `metrics.listen: cannot listen on ${listen}: no address of this machine (${code}): give metrics.listen an address of this machine and a port (0.0.0.0:9464: every IPv4 interface; 127.0.0.1:9464: this host alone)`,
  );
});
