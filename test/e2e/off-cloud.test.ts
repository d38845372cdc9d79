import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import OpenAI from "openai";
import { stringify } from "yaml";
import { OFF_CLOUD_ENV } from "../../src/testing/off-cloud-env.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { spawnWorker } from "./harness/spawn-worker.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

// The suite runs on hosts that may be cloud VMs: a gateway or worker it starts must never reach
// the host's instance metadata or a cloud credential endpoint (a Bedrock route without keys once
// asked the runner's real EC2 metadata service, which answered 403). Each child is started with
// the off-cloud environment (src/testing/off-cloud-env.ts), and a cloud route without credentials
// fails on loopback, saying so.

const fx = gatewayFixture({
  fake: null,
  fakeRoutes: false,
  config: {
    providers: [
      { name: "mock", type: "mock" },
      { name: "br", type: "bedrock", region: "us-east-1" },
      { name: "vx", type: "vertex", project: "p", location: "us-central1" },
      { name: "az", type: "azure", base_url: "http://127.0.0.1:9", api_version: "v1" },
    ],
    models: [
      { name: "mock", routes: [{ provider: "mock", model: "mock" }] },
      { name: "on-bedrock", routes: [{ provider: "br", model: "amazon.nova-lite-v1:0" }] },
      { name: "on-vertex", routes: [{ provider: "vx", model: "gemini-2.0-flash" }] },
      { name: "on-azure", routes: [{ provider: "az", model: "gpt-4o-mini" }] },
    ],
  },
});

/** The environment a child process was started with, as the kernel holds it. */
function environOf(pid: number): Record<string, string> {
  const text = readFileSync(`/proc/${pid}/environ`, "utf8");
  return Object.fromEntries(
    text
      .split("\0")
      .filter(Boolean)
      .map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]),
  );
}

describe("test-started processes stay off the host's cloud", () => {
  test("this test process, the fixture's gateway and a spawned worker carry the off-cloud environment", async () => {
    expect(process.env).toMatchObject(OFF_CLOUD_ENV);
    expect(environOf(fx.gw.proc.pid)).toMatchObject(OFF_CLOUD_ENV);
    const worker = spawnWorker({
      gateway: fx.gw.url,
      token: "no-such-token",
      upstream: "http://127.0.0.1:9/v1",
      name: "off-cloud",
    });
    fx.deferTest(() => worker.stop("SIGKILL"));
    expect(environOf(worker.proc.pid)).toMatchObject(OFF_CLOUD_ENV);
  });

  test("a cloud route without credentials fails on loopback, naming what it was kept from", async () => {
    const client = new OpenAI({ baseURL: fx.url("/v1"), apiKey: fx.adminKey, maxRetries: 0 });
    const failure = async (model: string) =>
      client.chat.completions.create({ model, messages: [{ role: "user", content: "x" }] }).then(
        () => "answered",
        (error: unknown) =>
          error instanceof OpenAI.APIError ? `${error.status} ${error.message}` : String(error),
      );
    expect(await failure("on-bedrock")).toContain(
      "EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED)",
    );
    // Refused at once on loopback: no lookup of metadata.google.internal, no wait on 169.254.169.254.
    expect(await failure("on-vertex")).toContain(
      "the metadata server could not be reached: connection refused",
    );
    expect(await failure("on-azure")).toContain(
      "Azure IMDS (managed identity) could not be reached: connection refused",
    );
    // Nothing else was asked meanwhile: the gateway still serves.
    await waitFor("the gateway to serve", async () => (await fetch(fx.url("/healthz"))).ok);
  });

  test("a CLI run reads none of the host's own credentials: no ~/.aws profile, no gcloud login", async () => {
    // A HOME as a developer's: the AWS profile a Bedrock provider names, with keys; gcloud's
    // application default credentials. Read, they would silence both warnings (a test that means
    // a profile names its files itself: AWS_CONFIG_FILE, GOOGLE_APPLICATION_CREDENTIALS).
    const home = tempDir("mindgw-off-cloud-home-");
    fx.deferTest(() => home.cleanup());
    mkdirSync(home.file(".aws"));
    writeFileSync(
      home.file(".aws/credentials"),
      "[dev]\naws_access_key_id = AKIAHOST\naws_secret_access_key = host-secret\n",
    );
    mkdirSync(home.file(".config/gcloud"), { recursive: true });
    writeFileSync(
      home.file(".config/gcloud/application_default_credentials.json"),
      JSON.stringify({ type: "authorized_user", client_id: "c", client_secret: "s", refresh_token: "r" }),
    );
    const config = home.file("gw.yaml");
    writeFileSync(
      config,
      stringify({
        providers: [
          { name: "br", type: "bedrock", region: "us-east-1", profile: "dev" },
          { name: "vx", type: "vertex", project: "p", location: "us-central1" },
        ],
        models: ["br", "vx"].map((name) => ({
          name: `m-${name}`,
          allow_unpriced: true,
          routes: [{ provider: name, model: "x" }],
        })),
      }),
    );
    const result = await runMindgw(["config", "check", "-c", config], { env: { HOME: home.path } });
    expect(result).toMatchObject({ code: 0 });
    const warned = result.stderr.split("\n").filter((line) => line.includes("has no usable credentials"));
    expect(warned.map((line) => line.slice(0, line.indexOf(" has no")))).toEqual([
      "warning: provider br (bedrock)",
      "warning: provider vx (vertex)",
    ]);
  });
});
