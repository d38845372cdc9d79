import { describe, expect, test } from "bun:test";
import { printable } from "../../src/core/printable.ts";
import {
  API_KEY,
  configFiles,
  HEADER_VALUE,
  JWT_SECRET,
  URL_PASSWORD,
  validConfig,
  WEBHOOK_TOKEN,
} from "./harness/config-cli-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

// `mindgw config check` on a valid file: the resolved config it prints (valid input again, names
// escaped, secrets redacted) and the warnings it gives.

const { writeConfig } = configFiles();

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

  test("bedrock with FIPS asked beside a custom endpoint: valid, with a warning naming the provider and both settings", async () => {
    const path = await writeConfig({
      providers: [
        { name: "br", type: "bedrock", region: "us-east-1", base_url: "https://bedrock.internal.example" },
      ],
      models: [{ name: "m-br", allow_unpriced: true, routes: [{ provider: "br", model: "x" }] }],
    });
    const env = {
      AWS_CONFIG_FILE: `${path}.no-aws-config`,
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "secret",
    };
    const plain = await runMindgw(["config", "check", "-c", path], { env });
    expect(plain).toMatchObject({ code: 0, stderr: "" });
    const fips = await runMindgw(["config", "check", "-c", path], {
      env: { ...env, AWS_USE_FIPS_ENDPOINT: "true" },
    });
    expect(fips.code).toBe(0);
    expect(fips.stderr).toContain("warning: provider br (bedrock) cannot call AWS: FIPS is asked");
    expect(fips.stderr).toContain(
      "FIPS is asked (AWS_USE_FIPS_ENDPOINT) beside a custom endpoint (base_url)",
    );
    expect(fips.stderr).toContain("its calls will answer 502 (model m-br (route br/x))");
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
});
