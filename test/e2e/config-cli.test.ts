// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fixtures are config text with ${VAR} references.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { printable } from "../../src/core/printable.ts";
import { childEnv } from "../../src/testing/off-cloud-env.ts";
import { MINDGW } from "./harness/binary.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

// `mindgw config check` and the CLI's promise to scripts: 0 success, 2 usage or config error,
// and secrets never printed.

const dir = tempDir("mindgw-config-cli-");
afterAll(() => dir.cleanup());
// No gateway of its own: the SPEC sample's test starts one.
const fx = gatewayFixture({ fake: null, gateway: false });

let files = 0;
async function writeConfig(config: object | string): Promise<string> {
  const path = dir.file(`config-${++files}.yaml`);
  await Bun.write(path, typeof config === "string" ? config : stringify(config));
  return path;
}

const API_KEY = "sk-live-very-secret-0001";
const HEADER_VALUE = "org-header-secret-0002";
const URL_PASSWORD = "pw-in-url-0003";
const JWT_SECRET = "hmac-secret-0004-hmac-secret-0004-hmac";
const WEBHOOK_TOKEN = "webhook-path-token-0008";

const validConfig = {
  server: { port: 9000, max_body: "2MB" },
  providers: [
    {
      name: "up",
      type: "openai",
      base_url: `http://svc:${URL_PASSWORD}@127.0.0.1:9/v1`,
      api_key: API_KEY,
      headers: { "x-org": HEADER_VALUE },
    },
  ],
  models: [{ name: "m1", routes: [{ provider: "up", model: "real-m1" }] }],
  auth: {
    jwt: { secret: JWT_SECRET, issuer: "https://idp.test", audience: "mindgw", algorithms: ["HS256"] },
  },
  events: {
    webhooks: [{ url: `https://hooks.slack.com/services/T000/B000/${WEBHOOK_TOKEN}`, secret: JWT_SECRET }],
  },
};

describe("mindgw config check", () => {
  test("model globs and aliases: the order names are matched in is shown", async () => {
    const path = await writeConfig({
      providers: [{ name: "up", type: "openai", base_url: "http://127.0.0.1:9/v1" }],
      models: [
        { name: "claude-*", routes: [{ provider: "up", model: "*" }] },
        { name: "claude-opus-*", aliases: ["claude-opus-4-8[1m]"], routes: [{ provider: "up", model: "o" }] },
      ],
    });
    const result = await runMindgw(["config", "check", "-c", path]);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain(
      [
        "# model names, in the order a request's model is matched:",
        "#   1. claude-opus-4-8[1m] -> claude-opus-*",
        "#   2. claude-opus-*",
        "#   3. claude-*",
      ].join("\n"),
    );
  });

  test("top-level x- keys (anchors only, never checked) are named as such, not left unsaid", async () => {
    const path = await writeConfig(
      [
        "x-openai: &openai { type: openai, base_url: 'http://127.0.0.1:9/v1', api_kye: typo }",
        "x-notes: anything",
        "providers:",
        "  - { name: up, type: openai, base_url: 'http://127.0.0.1:9/v1' }",
        "models:",
        "  - { name: m, routes: [{ provider: up, model: x }] }",
      ].join("\n"),
    );
    const result = await runMindgw(["config", "check", "-c", path]);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain("\n# read for anchors only: x-openai, x-notes\n");
    // A pipe gives its text once: the keys come from that one read (bounded: killed if it hangs).
    // The shell's pipe, as `-c /dev/stdin < <(cat file)` is: Bun's own stdin pipe cannot be opened by name.
    const piped = await runMindgw(["config", "check", "-c", "/dev/stdin"], {
      via: ["bash", "-c", 'exec "$@" < <(cat "$0")', path],
      timeoutMs: 10_000,
    });
    expect(piped).toMatchObject({ code: 0 });
    expect(piped.stdout).toContain("# /dev/stdin: valid\n");
    expect(piped.stdout).toContain("\n# read for anchors only: x-openai, x-notes\n");
    // Without any, nothing is said.
    const plain = await runMindgw(["config", "check", "-c", await writeConfig(validConfig)]);
    expect(plain.stdout).not.toContain("read for anchors only");
  });

  test("a valid file: exit 0, the resolved config, secrets redacted", async () => {
    const path = await writeConfig(validConfig);
    const result = await runMindgw(["config", "check", "-c", path]);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain("valid");
    // Resolved: defaults filled in, sizes and durations with their units.
    expect(result.stdout).toContain("max_body: 2MB");
    expect(result.stdout).toContain("model: real-m1");
    expect(result.stdout).toContain("drain_timeout: 30s");
    expect(result.stdout).toContain("url: https://hooks.slack.com/[redacted]");
    for (const secret of [API_KEY, HEADER_VALUE, URL_PASSWORD, JWT_SECRET, WEBHOOK_TOKEN]) {
      expect(result.stdout).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
    }
    expect(result.stdout).toContain("[redacted]");
  });

  test("cloud providers without usable credentials: valid, with a warning naming each route and what is missing", async () => {
    const path = await writeConfig({
      providers: [
        { name: "vx", type: "vertex", project: "pr", location: "us-central1" },
        {
          name: "vx-file",
          type: "vertex",
          project: "pr",
          location: "us-central1",
          service_account: "/nonexistent/sa.json",
        },
        { name: "az", type: "azure", base_url: "https://r.openai.azure.com", api_version: "2024-10-21" },
        { name: "gm", type: "gemini" },
      ],
      models: ["vx", "vx-file", "az", "gm"].map((name) => ({
        name: `m-${name}`,
        allow_unpriced: true,
        routes: [{ provider: name, model: "x" }],
      })),
    });
    // Nor gcloud's ADC file, nor a sign of Google Cloud: MINDGW_ON_GOOGLE_CLOUD=false says so, where
    // a GCE runner's BIOS vendor would (google-cloud-residency.ts).
    const unset = {
      MINDGW_ON_GOOGLE_CLOUD: "false",
      GOOGLE_APPLICATION_CREDENTIALS: undefined,
      HOME: undefined,
      CLOUDSDK_CONFIG: undefined,
      K_SERVICE: undefined,
      CLOUD_RUN_JOB: undefined,
      FUNCTION_NAME: undefined,
      GCE_METADATA_HOST: undefined,
      GCE_METADATA_IP: undefined,
      GEMINI_API_KEY: undefined,
      AZURE_TENANT_ID: undefined,
      AZURE_CLIENT_ID: undefined,
      AZURE_CLIENT_SECRET: undefined,
      AZURE_FEDERATED_TOKEN_FILE: undefined,
      IDENTITY_ENDPOINT: undefined,
      IDENTITY_HEADER: undefined,
    };
    const result = await runMindgw(["config", "check", "-c", path], { env: unset });
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain(": valid");
    expect(result.stderr.trim().split("\n")).toEqual([
      "warning: provider vx (vertex) has no usable credentials: no service_account in config, GOOGLE_APPLICATION_CREDENTIALS unset, no gcloud application default credentials file, and this host does not look like Google Cloud (no metadata server to ask); its calls will answer 502 (model m-vx (route vx/x))",
      "warning: provider vx-file (vertex) has no usable credentials: the service_account file /nonexistent/sa.json does not exist; its calls will answer 502 (model m-vx-file (route vx-file/x))",
      "warning: provider az (azure) has no usable credentials: neither api_key nor entra in config, and the environment has no Entra identity (AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE, or IDENTITY_ENDPOINT and IDENTITY_HEADER): its calls ask Azure IMDS, there only on an Azure VM, scale set or AKS node (entra: { managed_identity: true } says this is one); its calls will answer 502 (model m-az (route az/x))",
      "warning: provider gm (gemini) has no usable credentials: no api_key in config and GEMINI_API_KEY is unset; its calls will answer 502 (model m-gm (route gm/x))",
    ]);
  });

  test("bedrock with an Amazon Bedrock API key (AWS_BEARER_TOKEN_BEDROCK): an AWS_PROFILE that names no profile is not warned of, the key signing in its place", async () => {
    const path = await writeConfig({
      providers: [{ name: "br", type: "bedrock", region: "us-east-1" }],
      models: [{ name: "m-br", allow_unpriced: true, routes: [{ provider: "br", model: "x" }] }],
    });
    const env = {
      AWS_PROFILE: "nowhere",
      AWS_CONFIG_FILE: `${path}.no-aws-config`,
      AWS_SHARED_CREDENTIALS_FILE: `${path}.no-aws-credentials`,
    };
    const keyed = await runMindgw(["config", "check", "-c", path], {
      env: { ...env, AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key" },
    });
    expect(keyed).toMatchObject({ code: 0, stderr: "" });
    // Without the key the profile is the source, and its absence is said.
    const unkeyed = await runMindgw(["config", "check", "-c", path], {
      env: { ...env, AWS_BEARER_TOKEN_BEDROCK: undefined },
    });
    expect(unkeyed.stderr).toContain("warning: provider br (bedrock) has no usable credentials");
    expect(unkeyed.stderr).toContain("(named by AWS_PROFILE)");
  });

  test("a tenant's usage period longer than audit.retention: valid, with a warning that its requests and tokens count the rows kept", async () => {
    const path = await writeConfig({
      ...validConfig,
      tenants: [{ name: "team", budget: { usd: 5, per: "month" } }],
      prices: { m1: { input_per_mtok: 1, output_per_mtok: 1 } },
      audit: { retention: "7d" },
    });
    const result = await runMindgw(["config", "check", "-c", path]);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stderr.trim().split("\n")).toEqual([
      "warning: audit.retention (7d) is shorter than the usage period of tenant team (a month, up to 31 days): their requests and tokens in /admin/api/tenants and mindgw tenants count only the rows still kept; spend and remaining budget are the ledger's, unaffected; set audit.retention to 31d or more for whole counts",
    ]);
  });

  test("metrics.listen with metrics.enabled false: valid, with a warning that no listener opens", async () => {
    const off = { models: [], metrics: { enabled: false, listen: "127.0.0.1:9464" } };
    const result = await runMindgw(["config", "check", "-c", await writeConfig(off)]);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stderr.trim()).toBe(
      "warning: metrics.listen (127.0.0.1:9464) is ignored: metrics.enabled is false, so no metrics listener opens",
    );
  });

  test("attempt timeouts longer than a stream's socket may stay quiet, with no keep-alive to hold it: valid, with a warning", async () => {
    const slow = { models: [], routing: { timeouts: { idle: "5m" }, stream_keepalive: "0s" } };
    const result = await runMindgw(["config", "check", "-c", await writeConfig(slow)]);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stderr.trim()).toBe(
      "warning: the attempt timeouts let a stream wait 300s on its upstream, longer than its connection may stay quiet (255s, Bun's most), and routing.stream_keepalive is off: a stream that quiet is cut as if its client had left; set routing.stream_keepalive under 255s",
    );
    // Kept alive (the default 15 s), the same timeouts are nothing to warn of.
    const keptAlive = await runMindgw([
      "config",
      "check",
      "-c",
      await writeConfig({ ...slow, routing: { timeouts: { idle: "5m" } } }),
    ]);
    expect(keptAlive).toMatchObject({ code: 0, stderr: "" });
  });

  test("what it prints is valid input: checked again, it prints the same (durations keep their units)", async () => {
    // No secrets here: a redacted secret (an HMAC key shown as [redacted]) would not be valid.
    const path = await writeConfig({
      providers: [
        { name: "up", type: "openai", base_url: "http://127.0.0.1:9/v1", timeouts: { idle: "90s" } },
      ],
      models: [{ name: "m1", routes: [{ provider: "up", model: "real-m1" }] }],
      server: { drain_timeout: "2m", body_timeout: "1500ms" },
      routing: { backoff: "250ms", circuit_breaker: { cooldown: "1h" } },
    });
    const first = await runMindgw(["config", "check", "-c", path]);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain("drain_timeout: 2m");
    expect(first.stdout).toContain("body_timeout: 1500ms");
    expect(first.stdout).toContain("cooldown: 1h");
    const reprinted = await writeConfig(first.stdout);
    const second = await runMindgw(["config", "check", "-c", reprinted]);
    expect(second.stderr).toBe(first.stderr);
    expect(second).toMatchObject({ code: 0 });
    const body = (stdout: string) => stdout.slice(stdout.indexOf("\n") + 1);
    expect(body(second.stdout)).toBe(body(first.stdout));
  });

  test("names holding escape sequences are printed escaped, valid or not: nothing reaches the terminal raw", async () => {
    // Line ends apart, printable() would change nothing in what was printed.
    const unchanged = (text: string) => printable(text.replaceAll("\n", "")) === text.replaceAll("\n", "");
    const model = "m\u001b[31mred\u009b2J";
    const valid = await writeConfig({
      providers: [{ name: "up", type: "openai", base_url: "http://127.0.0.1:9/v1" }],
      models: [{ name: model, routes: [{ provider: "up", model: "o" }] }],
    });
    const checked = await runMindgw(["config", "check", "-c", valid]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain("#   1. m\\u001b[31mred\\u009b2J");
    expect(unchanged(checked.stdout + checked.stderr)).toBe(true);

    const invalid = await writeConfig({ ...validConfig, "k\u001b]0;owned\u0007\u001b[2J": 1 });
    const refused = await runMindgw(["config", "check", "-c", invalid]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("k\\u001b]0;owned\\u0007\\u001b[2J: unknown field");
    expect(unchanged(refused.stderr)).toBe(true);
  });

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
    expect((await runMindgw(["--version"])).stdout.trim()).toBe(result.stdout.split(" ")[1] ?? "");
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
