import { describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import OpenAI from "openai";
import { stringify } from "yaml";
import { OFF_CLOUD_ENV } from "../../src/testing/off-cloud-env.ts";
import { startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { freePort } from "./harness/free-port.ts";
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

/** A developer's exported static cloud keys, as the product reads them (src/providers). */
const HOST_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "AKIAHOSTKEY",
  AWS_SECRET_ACCESS_KEY: "host-aws-secret",
  AWS_SESSION_TOKEN: "host-aws-session",
  AWS_BEARER_TOKEN_BEDROCK: "host-bedrock-api-key",
  AWS_ROLE_ARN: "arn:aws:iam::111122223333:role/host-role",
  AZURE_TENANT_ID: "host-tenant",
  AZURE_CLIENT_ID: "host-client",
  AZURE_CLIENT_SECRET: "host-azure-secret",
  GEMINI_API_KEY: "host-gemini-key",
  GOOGLE_API_KEY: "host-google-key",
};

describe("test-started processes stay off the host's cloud", () => {
  test("this test process, the fixture's gateway and a spawned worker carry the off-cloud environment", async () => {
    expect(process.env).toMatchObject(OFF_CLOUD_ENV);
    expect(environOf(fx.gw.proc.pid)).toMatchObject(OFF_CLOUD_ENV);
    const worker = spawnWorker({
      gateway: fx.gw.url,
      token: "no-such-token",
      upstream: `http://127.0.0.1:${freePort()}/v1`,
      name: "off-cloud",
    });
    fx.deferTest(() => worker.stop("SIGKILL"));
    // Read once its program is in place: the file reads empty while the new process is still being
    // made (a CI run read {} 5 ms after the spawn).
    const environ = await waitFor("the worker's environment readable", () => {
      const read = environOf(worker.proc.pid);
      return Object.keys(read).length > 0 && read;
    });
    expect(environ).toMatchObject(OFF_CLOUD_ENV);
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

  test("a developer's exported cloud keys reach no test gateway, nor any cloud through it", async () => {
    // This process given them, as a developer's shell exports them; the gateway started on it.
    const saved = Object.keys(HOST_CREDENTIALS).map((name) => [name, process.env[name]] as const);
    fx.deferTest(() => {
      for (const [name, value] of saved)
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    });
    Object.assign(process.env, HOST_CREDENTIALS);
    // Every cloud here: a signed Bedrock call, Entra's token endpoint, a keyed Gemini call.
    const cloud = startCannedUpstream();
    fx.deferTest(() => cloud.stop());
    const gw = await fx.spawn({
      env: { AZURE_AUTHORITY_HOST: cloud.url },
      config: {
        providers: [
          { name: "br", type: "bedrock", region: "us-east-1", base_url: cloud.url },
          { name: "gm", type: "gemini", base_url: `${cloud.url}/v1beta` },
          { name: "az", type: "azure", base_url: cloud.url, api_version: "v1" },
        ],
        models: ["br", "gm", "az"].map((name) => ({
          name: `m-${name}`,
          allow_unpriced: true,
          routes: [{ provider: name, model: "x" }],
        })),
      },
    });
    const given = environOf(gw.proc.pid);
    for (const name of Object.keys(HOST_CREDENTIALS)) expect(`${name}=${given[name] ?? ""}`).toBe(`${name}=`);
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey ?? "", maxRetries: 0 });
    for (const model of ["m-br", "m-gm", "m-az"])
      await client.chat.completions
        .create({ model, messages: [{ role: "user", content: "x" }] })
        .catch(() => {});
    const heard = JSON.stringify(cloud.requests);
    for (const value of Object.values(HOST_CREDENTIALS)) expect(heard).not.toContain(value);
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
