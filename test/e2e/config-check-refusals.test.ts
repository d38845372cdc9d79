// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fixtures are config text with ${VAR} references.
import { describe, expect, test } from "bun:test";
import { chmodSync } from "node:fs";
import { childEnv } from "../../src/testing/off-cloud-env.ts";
import { MINDGW } from "./harness/binary.ts";
import { API_KEY, configFiles, validConfig } from "./harness/config-cli-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

// What `mindgw config check` reads and refuses: exit 2 with each error placed, a file missing or
// unreadable, ${VAR} interpolation, MINDGW_CONFIG, and a reader that stops early.

const { dir, writeConfig } = configFiles();

describe("mindgw config check: what it reads and refuses", () => {
  test("an invalid file: exit 2 with the path-precise message", async () => {
    const path = await writeConfig({
      providers: [{ name: "openai", type: "openai", base_url: "http://127.0.0.1:9/v1" }],
      models: [
        { name: "ok", routes: [{ provider: "openai", model: "a" }] },
        { name: "typo", routes: [{ provider: "opnai", model: "b" }] },
      ],
    });
    const result = await runMindgw(["config", "check", "-c", path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('models[1].routes[0].provider: unknown provider "opnai"');
    expect(result.stdout).toBe("");
  });

  test("each refused field is placed file:line:column; a value written plainly is quoted, one from ${VAR} names its variable alone", async () => {
    const path = await writeConfig(
      [
        "server:",
        "  port: ${GW_E2E_PORT}",
        "  max_body: [10MB]",
        "log: { format: txt, level: info }",
        "providers:",
        `  - { name: up, type: openai, base_url: http://127.0.0.1:9/v1, api_key: 4417, headers: { x-org: 99 } }`,
        "",
      ].join("\n"),
    );
    const result = await runMindgw(["config", "check", "-c", path], {
      env: { GW_E2E_PORT: "port-value-0009" },
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.split("\n");
    expect(lines[0]).toBe(`invalid config: ${path}`);
    expect(lines).toContain(
      `  ${path}:2:9: server.port: Invalid input: expected number, received string (from \${GW_E2E_PORT})`,
    );
    expect(lines).toContain(
      `  ${path}:4:16: log.format: Invalid option: expected one of "text"|"json" (got "txt")`,
    );
    expect(lines).toContain(
      `  ${path}:6:73: providers[0].api_key: Invalid input: expected string, received number`,
    );
    expect(lines).toContain(
      `  ${path}:6:97: providers[0].headers.x-org: Invalid input: expected string, received number`,
    );
    expect(result.stderr).toContain(`  ${path}:3:13: server.max_body: `);
    expect(result.stderr).not.toContain("port-value-0009");
    expect(result.stderr).not.toContain("4417");
  });

  test("a storage.sslrootcert file that is not there: config check and serve exit 2 naming the field and the path", async () => {
    // config check passed it; serve then exited 1 with "Unable to access caFile path", naming neither.
    const path = await writeConfig({
      storage: {
        driver: "postgres",
        url: "postgres://127.0.0.1:9/mindgw",
        sslmode: "verify-full",
        sslrootcert: "db-ca.pem",
      },
      models: [],
    });
    // Line 5 of the YAML written: `  sslrootcert: db-ca.pem`, the value at column 16.
    const said = `invalid config: ${path}\n  ${path}:5:16: storage.sslrootcert: ${dir.file("db-ca.pem")}: no such file (the PEM file of the CA that signs the server's certificate)\n`;
    for (const args of [
      ["config", "check", "-c", path],
      ["serve", "-c", path, "--port", "0"],
    ]) {
      const refused = await runMindgw(args);
      expect({ args, code: refused.code, stderr: refused.stderr }).toEqual({ args, code: 2, stderr: said });
    }
  });

  test("schema errors name their path; bad YAML and a missing file exit 2", async () => {
    const badType = await writeConfig({ providers: [{ name: "p", type: "openia" }] });
    const typed = await runMindgw(["config", "check", "-c", badType]);
    expect(typed.code).toBe(2);
    expect(typed.stderr).toContain("providers[0].type");
    const noPort = await writeConfig({
      providers: [{ name: "p", type: "openai", base_url: "http://127.0.0.1:/v1" }],
    });
    const ported = await runMindgw(["config", "check", "-c", noPort]);
    expect(ported.code).toBe(2);
    expect(ported.stderr).toContain("providers[0].base_url: the port after ':' is empty");

    const yaml = await writeConfig("providers: [\n  - name: : :\n");
    expect((await runMindgw(["config", "check", "-c", yaml])).code).toBe(2);
    const missing = await runMindgw(["config", "check", "-c", dir.file("absent.yaml")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no such file");
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  test("a file that cannot be read is a config error naming it (exit 2); /dev/null is an empty file", async () => {
    const secret = await writeConfig(validConfig);
    chmodSync(secret, 0o600);
    // Root reads any file: as root the check runs as another user, as a gateway's unit would.
    const via =
      process.getuid?.() === 0 ? ["setpriv", "--reuid=10001", "--regid=10001", "--clear-groups"] : [];
    if (via.length === 0) chmodSync(secret, 0o000);
    const denied = await runMindgw(["config", "check", "-c", secret], { via });
    expect({ code: denied.code, stderr: denied.stderr }).toEqual({
      code: 2,
      stderr: `invalid config:\n  ${secret}: cannot be read: permission denied\n`,
    });
    const empty = await runMindgw(["config", "check", "-c", "/dev/null"]);
    expect({ code: empty.code, stderr: empty.stderr }).toEqual({
      code: 2,
      stderr: "invalid config:\n  /dev/null: the file is empty\n",
    });
  });

  test("${VAR} and ${VAR:-default} are interpolated", async () => {
    const path = await writeConfig(
      [
        "server:",
        "  port: 9100",
        "storage:",
        "  path: ${DATA_DIR:-/var/lib/mindgw}/gw.db",
        "providers:",
        "  - name: up",
        "    type: openai",
        "    base_url: http://${UP_HOST}:8000/v1",
        "    api_key: ${UP_KEY}",
        "models:",
        "  - name: ${MODEL_NAME:-default-model}",
        "    routes: [{ provider: up, model: real }]",
      ].join("\n"),
    );
    const env = { UP_HOST: "10.1.2.3", UP_KEY: API_KEY, MODEL_NAME: "chosen" };
    const result = await runMindgw(["config", "check", "-c", path], { env });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("base_url: http://10.1.2.3:8000/v1");
    expect(result.stdout).toContain("path: /var/lib/mindgw/gw.db");
    expect(result.stdout).toContain("name: chosen");
    expect(result.stdout).not.toContain(API_KEY);
    expect(result.stdout).not.toContain("${");
  });

  test("an unset variable without a default: exit 2 naming it", async () => {
    const path = await writeConfig({
      providers: [
        { name: "up", type: "openai", base_url: "http://127.0.0.1:9/v1", api_key: "${NOT_SET_ANYWHERE}" },
      ],
    });
    const result = await runMindgw(["config", "check", "-c", path]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("NOT_SET_ANYWHERE");
    expect(result.stderr).toContain("providers[0].api_key");
  });

  test("a reader that stops early (| head) ends it quietly with 0, no stack trace", async () => {
    // Far more output than a pipe holds, so writes are still due when the reader has gone.
    const models = Array.from({ length: 3000 }, (_, i) => ({
      name: `model-${i}`,
      routes: [{ provider: "demo", model: "mock" }],
    }));
    const path = await writeConfig({ providers: [{ name: "demo", type: "mock" }], models });
    const pipeline = Bun.spawn(
      [
        "bash",
        "-c",
        '"$0" config check -c "$1" | head -c 100 >/dev/null; echo "exit=${PIPESTATUS[0]}"',
        MINDGW,
        path,
      ],
      { stdout: "pipe", stderr: "pipe", env: childEnv() },
    );
    const timer = setTimeout(() => pipeline.kill("SIGKILL"), 20_000);
    const [stdout, stderr] = await Promise.all([
      new Response(pipeline.stdout).text(),
      new Response(pipeline.stderr).text(),
    ]);
    clearTimeout(timer);
    expect({ stdout, stderr }).toEqual({ stdout: "exit=0\n", stderr: "" });
  });

  test("MINDGW_CONFIG is used when -c is not given", async () => {
    const path = await writeConfig(validConfig);
    const result = await runMindgw(["config", "check"], { env: { MINDGW_CONFIG: path } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(path);
  });
});
