import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withoutCredentials } from "../../core/credentials.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { errorResponse } from "../../http/error-body.ts";
import { freePort } from "../../testing/free-port.ts";
import { failureOf } from "../../testing/gateway-error-of.ts";
import { providerCall } from "../../testing/provider-call.ts";
import type { ProviderCall } from "../provider.ts";
import { createGoogleProvider, vertexEndpoint } from "./gemini-provider.ts";
import { createVertexAnthropicProvider } from "./vertex-anthropic-provider.ts";
import { vertexToken } from "./vertex-token.ts";

// One loopback fake for Google's three endpoints: the metadata server (its path), the OAuth token
// endpoint (/token) and Vertex AI (/v1/...). Each request is recorded as it came.
interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  flavor: string | null;
  authorization: string | null;
  userProject: string | null;
  form?: Record<string, string>;
}
const seen: Seen[] = [];
/** What the metadata server's token path answers next; a fresh token each time by default. */
let metadata: (() => Response)[] = [];
let minted = 0;
const google = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const url = new URL(request.url);
    const entry: Seen = {
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      flavor: request.headers.get("metadata-flavor"),
      authorization: request.headers.get("authorization"),
      userProject: request.headers.get("x-goog-user-project"),
    };
    if (url.pathname === "/token") entry.form = Object.fromEntries(new URLSearchParams(await request.text()));
    seen.push(entry);
    if (url.pathname === "/computeMetadata/v1/instance/service-accounts/default/token") {
      const next = metadata.shift();
      if (next) return next();
      minted += 1;
      return Response.json(
        { access_token: `ya29.meta-${minted}`, expires_in: 3599, token_type: "Bearer" },
        { headers: { "metadata-flavor": "Google" } },
      );
    }
    if (url.pathname === "/token") {
      minted += 1;
      return Response.json({ access_token: `ya29.user-${minted}`, expires_in: 3599, token_type: "Bearer" });
    }
    // Vertex AI: refuses the first metadata token (revoked), takes any other.
    if (request.headers.get("authorization") === "Bearer ya29.revoked")
      return Response.json({ error: { code: 401, status: "UNAUTHENTICATED" } }, { status: 401 });
    return Response.json({
      candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
    });
  },
});
const host = `127.0.0.1:${google.port}`;
const dir = mkdtempSync(join(tmpdir(), "mindgw-vertex-token-"));
afterAll(() => {
  google.stop(true);
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  seen.length = 0;
  metadata = [];
});

const METADATA_PATH = "/computeMetadata/v1/instance/service-accounts/default/token";
const SCOPES = { scopes: "https://www.googleapis.com/auth/cloud-platform" };

const userFile = (name: string, extra: object = {}) => {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      type: "authorized_user",
      client_id: "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com",
      client_secret: "d-FL95Q19q7MQmFpd7hHD0Ty",
      refresh_token: "1//0gRefresh",
      quota_project_id: "acme",
      token_uri: `http://${host}/token`,
      ...extra,
    }),
  );
  return file;
};

/** The tokens' clock: a test moves it past a token's first seconds before Vertex refuses it. */
const clock = { now: 1_000_000 };
/** A Vertex AI provider on the fake, its token from `env` (never the process's). */
const vertexOn = (env: Record<string, string>, serviceAccount?: string) => {
  const token = vertexToken({ provider: "vx", serviceAccount, env, now: () => clock.now });
  return createGoogleProvider({
    name: "vx",
    vendor: "gcp.vertex_ai",
    endpoint: vertexEndpoint("acme", "us-central1", `http://${host}`, token),
  });
};
const chat = (): ProviderCall =>
  providerCall({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] });
const vertexCalls = () => seen.filter((entry) => entry.path.startsWith("/v1/"));

describe("Vertex AI's token from the metadata server (no service_account, no ADC file)", () => {
  test("asked as Google's libraries ask: GET …/default/token?scopes=cloud-platform with Metadata-Flavor: Google; the token is the Vertex call's bearer", async () => {
    const provider = vertexOn({ GCE_METADATA_HOST: host });
    await provider.call(chat());
    await provider.call(chat());
    const asked = seen.filter((entry) => entry.path === METADATA_PATH);
    expect(asked).toEqual([
      {
        method: "GET",
        path: METADATA_PATH,
        query: SCOPES,
        flavor: "Google",
        authorization: null,
        userProject: null,
      },
    ]);
    expect(vertexCalls().map((call) => [call.path, call.authorization])).toEqual([
      [
        "/v1/projects/acme/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent",
        `Bearer ya29.meta-${minted}`,
      ],
      [
        "/v1/projects/acme/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent",
        `Bearer ya29.meta-${minted}`,
      ],
    ]);
  });

  test("GCE_METADATA_IP when GCE_METADATA_HOST is unset; a token Vertex refuses (401) is fetched again and the call sent once more", async () => {
    const provider = vertexOn({ GCE_METADATA_IP: `http://${host}` });
    metadata.push(() =>
      Response.json(
        { access_token: "ya29.revoked", expires_in: 3599, token_type: "Bearer" },
        { headers: { "metadata-flavor": "Google" } },
      ),
    );
    // Refused as it arrived (revoked): fetched again at once and the call sent once more.
    const reply = await provider.call(chat());
    expect(reply.kind).toBe("json");
    expect(seen.filter((entry) => entry.path === METADATA_PATH)).toHaveLength(2);
    expect(vertexCalls().map((call) => call.authorization)).toEqual([
      "Bearer ya29.revoked",
      `Bearer ya29.meta-${minted}`,
    ]);
  });

  test("no metadata server (nothing listening): a 502 naming all that was tried, in the caller's dialect; the next call within the backoff fails at once, asking nobody", async () => {
    const port = freePort();
    const provider = vertexOn({ GCE_METADATA_HOST: `127.0.0.1:${port}`, HOME: dir });
    const error = await failureOf(provider.call(chat()));
    expect([error.status, error.retryable, error.message]).toEqual([
      502,
      true,
      "could not get credentials for upstream vx: no Google credentials found: no service_account in config, GOOGLE_APPLICATION_CREDENTIALS unset, no gcloud application default credentials file, and the metadata server could not be reached: connection refused (ECONNREFUSED)",
    ]);
    const openai = errorResponse(error, "openai", {});
    expect(openai.status).toBe(502);
    expect(((await openai.json()) as { error: { message: string } }).error.message).toBe(error.message);
    const anthropic = (await errorResponse(error, "anthropic", {}).json()) as {
      type: string;
      error: { message: string };
    };
    expect([anthropic.type, anthropic.error.message]).toEqual(["error", error.message]);
    expect((await failureOf(provider.call(chat()))).message).toMatch(/; asked again in \d+ s$/);
    expect(vertexCalls()).toEqual([]);
  });

  test("a metadata server that does not answer in time is taken for absent", async () => {
    const silent = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Promise<Response>(() => {}),
    });
    try {
      const token = vertexToken({
        provider: "vx",
        serviceAccount: undefined,
        env: { GCE_METADATA_HOST: `127.0.0.1:${silent.port}` },
        detectMs: 50,
      });
      expect((await failureOf(token.get())).message).toEndWith(
        "no gcloud application default credentials file, and the metadata server did not answer within 0.05 s",
      );
    } finally {
      silent.stop(true);
    }
  });

  test("unhappy answers: no default service account (404), no Metadata-Flavor back (a proxy's 403 or 404 too: checked before the status), no access_token", async () => {
    const flavored = { headers: { "metadata-flavor": "Google" } };
    metadata.push(
      () => new Response("Not Found", { status: 404, ...flavored }),
      () => Response.json({ access_token: "ya29.proxy", expires_in: 3599 }),
      () => Response.json({ token_type: "Bearer" }, flavored),
      () => new Response("Forbidden by policy", { status: 403 }),
      () => new Response("Not Found", { status: 404 }),
    );
    const messages: string[] = [];
    for (let i = 0; i < 5; i++) {
      // A source a call, so the backoff after one failure does not answer for the next.
      const token = vertexToken({
        provider: "vx",
        serviceAccount: undefined,
        env: { GCE_METADATA_HOST: host },
      });
      messages.push((await failureOf(token.get())).message);
    }
    expect(messages).toEqual([
      "could not get credentials for upstream vx: the metadata server has no default service account (404): attach one to the instance or Cloud Run service, or on GKE bind the pod's Kubernetes service account with Workload Identity",
      "could not get credentials for upstream vx: what answered at the metadata server's address is not Google's metadata server (no Metadata-Flavor: Google)",
      "could not get credentials for upstream vx: the metadata server sent no access_token",
      "could not get credentials for upstream vx: what answered at the metadata server's address is not Google's metadata server (no Metadata-Flavor: Google)",
      "could not get credentials for upstream vx: what answered at the metadata server's address is not Google's metadata server (no Metadata-Flavor: Google)",
    ]);
  });
});

describe("an authorized_user ADC file (gcloud auth application-default login)", () => {
  const grant = {
    refresh_token: "1//0gRefresh",
    client_id: "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com",
    client_secret: "d-FL95Q19q7MQmFpd7hHD0Ty",
    grant_type: "refresh_token",
  };

  test("named by GOOGLE_APPLICATION_CREDENTIALS: the refresh-token grant, form-encoded, at its token_uri; the token is the Vertex call's bearer; no metadata server asked", async () => {
    const provider = vertexOn({
      GOOGLE_APPLICATION_CREDENTIALS: userFile("adc.json"),
      GCE_METADATA_HOST: host,
    });
    await provider.call(chat());
    expect(seen.map((entry) => [entry.method, entry.path, entry.form])).toEqual([
      ["POST", "/token", grant],
      [
        "POST",
        "/v1/projects/acme/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent",
        undefined,
      ],
    ]);
    expect(vertexCalls()[0]?.authorization).toBe(`Bearer ya29.user-${minted}`);
  });

  test("at gcloud's well-known path under HOME, or under CLOUDSDK_CONFIG, when GOOGLE_APPLICATION_CREDENTIALS is unset", async () => {
    const home = join(dir, "home");
    mkdirSync(join(home, ".config", "gcloud"), { recursive: true });
    await Bun.write(
      join(home, ".config", "gcloud", "application_default_credentials.json"),
      Bun.file(userFile("home-adc.json")),
    );
    await vertexOn({ HOME: home, GCE_METADATA_HOST: host }).call(chat());
    const sdk = join(dir, "sdk");
    mkdirSync(sdk, { recursive: true });
    await Bun.write(join(sdk, "application_default_credentials.json"), Bun.file(userFile("sdk-adc.json")));
    await vertexOn({ CLOUDSDK_CONFIG: sdk, HOME: join(dir, "nowhere"), GCE_METADATA_HOST: host }).call(
      chat(),
    );
    expect(seen.map((entry) => entry.path).filter((path) => !path.startsWith("/v1/"))).toEqual([
      "/token",
      "/token",
    ]);
  });

  test("the config's service_account wins over GOOGLE_APPLICATION_CREDENTIALS, and may itself be an authorized_user file", async () => {
    const provider = vertexOn(
      { GOOGLE_APPLICATION_CREDENTIALS: join(dir, "absent.json") },
      userFile("configured.json"),
    );
    expect((await provider.call(chat())).kind).toBe("json");
    expect(seen[0]?.form).toEqual(grant);
  });

  test("the file's quota_project_id is sent as x-goog-user-project on the Vertex call (gcloud's own OAuth client's project is not billed); GOOGLE_CLOUD_QUOTA_PROJECT overrides it, as Google's libraries do", async () => {
    await vertexOn({ GOOGLE_APPLICATION_CREDENTIALS: userFile("quota.json") }).call(chat());
    await vertexOn({
      GOOGLE_APPLICATION_CREDENTIALS: userFile("quota.json"),
      GOOGLE_CLOUD_QUOTA_PROJECT: "billing-proj",
    }).call(chat());
    // None in the file, none in the environment: none sent.
    await vertexOn({
      GOOGLE_APPLICATION_CREDENTIALS: userFile("noquota.json", { quota_project_id: undefined }),
    }).call(chat());
    expect(vertexCalls().map((call) => call.userProject)).toEqual(["acme", "billing-proj", null]);
    // Never to the token endpoint.
    expect(seen.filter((entry) => entry.path === "/token").map((entry) => entry.userProject)).toEqual([
      null,
      null,
      null,
    ]);
  });

  test("GOOGLE_CLOUD_QUOTA_PROJECT is sent with the metadata server's token too (Google's libraries set it on any ADC credential), and on Claude's Vertex calls", async () => {
    const env = {
      GCE_METADATA_HOST: host,
      HOME: join(dir, "nowhere"),
      GOOGLE_CLOUD_QUOTA_PROJECT: "billing-proj",
    };
    await vertexOn(env).call(chat());
    const token = vertexToken({ provider: "vx", serviceAccount: undefined, env });
    const claude = createVertexAnthropicProvider({
      name: "vx",
      endpoint: vertexEndpoint("acme", "us-central1", `http://${host}`, token, "anthropic"),
    });
    await claude.call({
      ...chat(),
      operation: "messages",
      body: { model: "claude-sonnet-4-5", max_tokens: 10, messages: [{ role: "user", content: "hi" }] },
    });
    expect(vertexCalls().map((call) => [call.path.split("/").at(-1), call.userProject])).toEqual([
      ["gemini-2.5-flash:generateContent", "billing-proj"],
      ["claude-sonnet-4-5:rawPredict", "billing-proj"],
    ]);
  });

  test("an ADC file's client_secret and refresh_token, named nowhere in config, are taken out of what the gateway tells and writes once read", async () => {
    const file = userFile("redacted.json", {
      client_secret: "adc-secret-9f8e7d",
      refresh_token: "1//0gAdcRefresh42",
    });
    const line = "upstream said: invalid client adc-secret-9f8e7d for 1//0gAdcRefresh42";
    expect(withoutCredentials(line)).toBe(line);
    await vertexOn({ GOOGLE_APPLICATION_CREDENTIALS: file }).call(chat());
    expect(withoutCredentials(line)).not.toContain("adc-secret-9f8e7d");
    expect(withoutCredentials(line)).not.toContain("1//0gAdcRefresh42");
  });

  test("a revoked refresh token is the endpoint's invalid_grant, said", async () => {
    const refusing = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        Response.json(
          { error: "invalid_grant", error_description: "Token has been expired or revoked." },
          { status: 400 },
        ),
    });
    try {
      const file = userFile("revoked.json", { token_uri: `http://127.0.0.1:${refusing.port}/token` });
      const error = await failureOf(
        vertexToken({
          provider: "vx",
          serviceAccount: undefined,
          env: { GOOGLE_APPLICATION_CREDENTIALS: file },
        }).get(),
      );
      expect([error.message, error.detail]).toEqual([
        "could not get credentials for upstream vx: the token endpoint answered 400: invalid_grant",
        "Token has been expired or revoked.",
      ]);
    } finally {
      refusing.stop(true);
    }
  });
});

describe("credentials files the gateway cannot use", () => {
  test("external_account_authorized_user (workforce identity federation) and others are refused by name, saying what to use; a missing file is said without its path", async () => {
    const external = join(dir, "workforce.json");
    writeFileSync(
      external,
      JSON.stringify({
        type: "external_account_authorized_user",
        audience: "//iam.googleapis.com/locations/global/workforcePools/p/providers/q",
        refresh_token: "r",
        token_url: "https://sts.googleapis.com/v1/oauthtoken",
      }),
    );
    const messageOf = async (env: Record<string, string>) =>
      (await failureOf(vertexToken({ provider: "vx", serviceAccount: undefined, env }).get())).message;
    expect(await messageOf({ GOOGLE_APPLICATION_CREDENTIALS: external })).toBe(
      "could not get credentials for upstream vx: the GOOGLE_APPLICATION_CREDENTIALS file is of type external_account_authorized_user: external_account_authorized_user credentials (workforce identity federation) are not supported; use `gcloud auth application-default login` with a Google account, a service-account key, or the metadata server",
    );
    expect(await messageOf({ GOOGLE_APPLICATION_CREDENTIALS: join(dir, "absent.json") })).toBe(
      "could not get credentials for upstream vx: the GOOGLE_APPLICATION_CREDENTIALS file does not exist",
    );
    expect(
      await messageOf({ GOOGLE_APPLICATION_CREDENTIALS: userFile("partial.json", { refresh_token: "" }) }),
    ).toBe(
      "could not get credentials for upstream vx: the GOOGLE_APPLICATION_CREDENTIALS file is no authorized_user credential (it needs client_id, client_secret and refresh_token)",
    );
    expect(seen).toEqual([]);
  });
});

test("errors are GatewayErrors", async () => {
  const error = await failureOf(
    vertexToken({ provider: "vx", serviceAccount: "/nonexistent/sa.json", env: {} }).get(),
  );
  expect(error).toBeInstanceOf(GatewayError);
  expect(error.message).toBe(
    "could not get credentials for upstream vx: the service_account file does not exist",
  );
});
