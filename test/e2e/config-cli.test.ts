// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fixtures are config text with ${VAR} references.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { API_KEY, configFiles, URL_PASSWORD } from "./harness/config-cli-fixture.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { waitFor } from "./harness/wait-for.ts";

// The CLI's promise to scripts: 0 success, 2 usage or config error, help on stdout, and the
// SPEC's own config sample checked and served.

const { dir, writeConfig } = configFiles();
// No gateway of its own: the SPEC sample's test and the banner's start one each.
const fx = gatewayFixture({ fake: null, gateway: false });

describe("the SPEC's own config sample (flow mappings with ${VAR})", () => {
  const SAMPLE = join(import.meta.dir, "../../src/config/fixtures/spec-sample.yaml");
  const env = {
    OPENAI_API_KEY: API_KEY,
    ANTHROPIC_API_KEY: "sk-ant-secret-0005",
    REDIS_URL: "redis://127.0.0.1:6379",
    DATABASE_URL: `postgres://mindgw:${URL_PASSWORD}@127.0.0.1:5432/mindgw`,
    MINDGW_CLUSTER_SECRET: "cluster-secret-0006-cluster-secret-0006",
    OIDC_SECRET: "oidc-secret-0007",
  };

  test("config check: valid, interpolated, secrets redacted", async () => {
    const result = await runMindgw(["config", "check", "-c", SAMPLE], { env });
    expect(result.stderr).not.toContain("invalid config");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("base_url: https://api.openai.com/v1");
    for (const secret of [
      API_KEY,
      env.ANTHROPIC_API_KEY,
      env.MINDGW_CLUSTER_SECRET,
      env.OIDC_SECRET,
      URL_PASSWORD,
    ])
      expect(result.stdout).not.toContain(secret);
  });

  test("serve starts on it and serves its models", async () => {
    const [redis, postgres] = await Promise.all([startRedis().then(fx.own), startPostgres().then(fx.own)]);
    const gw = await fx.spawn({
      config: await Bun.file(SAMPLE).text(),
      env: { ...env, REDIS_URL: redis.url, DATABASE_URL: await postgres.createDatabase("sample") },
    });
    const models = await fetch(`${gw.url}/openai/v1/models`, {
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    expect(models.status).toBe(200);
    const ids = ((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id);
    expect(ids).toContain("gpt-4o-mini");
  });
});

describe("the CLI surface", () => {
  test("--help at the top and on subcommands: exit 0, usage on stdout", async () => {
    const top = await runMindgw(["--help"]);
    expect(top.code).toBe(0);
    for (const command of ["serve", "config", "version"]) expect(top.stdout).toContain(command);
    const serve = await runMindgw(["serve", "--help"]);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toContain("--config");
    expect(serve.stdout).toContain("--port");
    const check = await runMindgw(["config", "check", "--help"]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("redacted");
  });

  test("version: exit 0; the release and the commit the binary was built from (HEAD, -dirty with changes)", async () => {
    const result = await runMindgw(["version"]);
    expect(result.code).toBe(0);
    const head = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"]).stdout.toString().trim();
    expect(head).toMatch(/^[0-9a-f]{7,}$/);
    expect(result.stdout).toMatch(new RegExp(`^mindgw \\d+\\.\\d+\\.\\d+\\+${head}(-dirty)? \\(bun `));
    // One line, whichever way it is asked (test/e2e/version-key-id-hints.test.ts).
    expect((await runMindgw(["--version"])).stdout).toBe(result.stdout);
  });

  test("usage errors exit 2: unknown command, unknown option, missing subcommand", async () => {
    const unknown = await runMindgw(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("frobnicate");
    expect((await runMindgw(["serve", "--no-such-flag"])).code).toBe(2);
    expect((await runMindgw(["serve", "--port", "notaport", "-c", dir.file("absent.yaml")])).code).toBe(2);
    expect((await runMindgw(["config"])).code).toBe(2);
    expect((await runMindgw([])).code).toBe(2);
  });

  test('serve --host "" and --port "" are usage errors (exit 2) before anything starts; the banner names the address bound', async () => {
    // `--host "$HOST"` with HOST unset listened on every interface while the log said
    // "localhost"; `--port "$PORT"` bound a random port (Number("") is 0), server.port ignored.
    const path = await writeConfig({ server: { host: "127.0.0.1", port: 9 }, models: [] });
    const host = await runMindgw(["serve", "-c", path, "--host", ""]);
    expect({ code: host.code, stderr: host.stderr.trim() }).toEqual({
      code: 2,
      stderr:
        "mindgw: --host: empty: give the address to listen on (0.0.0.0: every IPv4 interface; 127.0.0.1: this host alone), or leave --host out for server.host",
    });
    for (const port of ["", " 80", "8o", "65536"]) {
      const refused = await runMindgw(["serve", "-c", path, "--port", port]);
      expect({ port, code: refused.code, stderr: refused.stderr.trim() }).toEqual({
        port,
        code: 2,
        stderr: `mindgw: --port: not a port: ${JSON.stringify(port)} (0 to 65535; 0 for any free one)`,
      });
    }
    const empty = await writeConfig({ server: { host: "" }, models: [] });
    const configured = await runMindgw(["serve", "-c", empty]);
    expect(configured.code).toBe(2);
    expect(configured.stderr).toContain("server.host: empty: give the address to listen on");
    // "0" is any free port, and the banner says which, on the address given.
    const gw = await fx.spawn({ config: { models: [] } });
    const listening = new RegExp(`listening on http://127\\.0\\.0\\.1:${gw.port} `);
    // Info lines are written within 10 ms (src/log/batched-write.ts), after the stdout banner.
    await waitFor("the listening line", () => gw.stderr.match(listening));
  });
});
