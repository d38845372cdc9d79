import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../testing/free-port.ts";
import { failureOf } from "../../testing/gateway-error-of.ts";
import { providerCall } from "../../testing/provider-call.ts";
import { createAzureProvider } from "./azure-provider.ts";
import { entraFromEnvironment } from "./entra-environment.ts";
import { type EntraCredentials, entraToken } from "./entra-token.ts";

/** What the fake heard: method, path, query, the headers that matter and the form. */
interface Heard {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | null>;
  form: Record<string, string>;
}

const TENANT = "contoso";
const APP = "11111111-2222-3333-4444-555555555555";
const USER_ASSIGNED = "99999999-8888-7777-6666-555555555555";
const APP_SERVICE_SECRET = "app-service-secret";
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** The epoch second the fake's managed identity tokens expire at, as IMDS says it: a string. */
const EXPIRES_ON = 1_767_229_200;

/**
 * Azure on loopback, as each endpoint answers: Entra ID's token endpoint taking a client assertion
 * only if it is the service account token the kubelet last wrote (`federated.current`); Azure IMDS
 * (`Metadata: true` required, a client_id of no identity assigned refused 400 "Identity not
 * found"); App Service's identity endpoint (its secret header required); and Azure OpenAI's v1
 * chat, answering with the bearer token it was sent.
 */
const heard: Heard[] = [];
const federated = { current: "jwt-1" };
/** Each endpoint's next answer instead of its usual one. */
const next: Record<string, Response> = {};
let issued = 0;

const fake = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const url = new URL(request.url);
    const text = await request.text();
    const form = Object.fromEntries(new URLSearchParams(text));
    heard.push({
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: {
        metadata: request.headers.get("metadata"),
        "x-identity-header": request.headers.get("x-identity-header"),
        authorization: request.headers.get("authorization"),
      },
      form: url.pathname.endsWith("/chat/completions") ? {} : form,
    });
    const instead = next[url.pathname];
    if (instead) {
      delete next[url.pathname];
      return instead;
    }
    if (url.pathname === `/${TENANT}/oauth2/v2.0/token`) {
      if (form.client_assertion_type !== JWT_BEARER || form.client_assertion !== federated.current)
        return Response.json(
          {
            error: "invalid_client",
            error_description: "AADSTS700024: Client assertion is not within its valid time range.",
          },
          { status: 401 },
        );
      issued += 1;
      return Response.json({
        token_type: "Bearer",
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: `entra-${issued}`,
      });
    }
    if (url.pathname === "/metadata/identity/oauth2/token") {
      if (request.headers.get("metadata") !== "true")
        return Response.json(
          { error: "invalid_request", error_description: "Required metadata header not specified" },
          { status: 400 },
        );
      const clientId = url.searchParams.get("client_id");
      if (clientId !== null && clientId !== USER_ASSIGNED)
        return Response.json(
          { error: "invalid_request", error_description: "Identity not found" },
          { status: 400 },
        );
      issued += 1;
      return Response.json({
        access_token: `imds-${issued}`,
        client_id: clientId ?? "system",
        expires_in: "86399",
        expires_on: String(EXPIRES_ON),
        ext_expires_in: "86399",
        not_before: String(EXPIRES_ON - 86_399),
        resource: url.searchParams.get("resource"),
        token_type: "Bearer",
      });
    }
    if (url.pathname === "/msi/token") {
      if (request.headers.get("x-identity-header") !== APP_SERVICE_SECRET)
        return Response.json({ statusCode: 401, message: "Unauthorized" }, { status: 401 });
      issued += 1;
      return Response.json({
        access_token: `app-service-${issued}`,
        expires_on: String(EXPIRES_ON),
        resource: url.searchParams.get("resource"),
        token_type: "Bearer",
        client_id: url.searchParams.get("client_id") ?? "system",
      });
    }
    if (url.pathname === "/openai/v1/chat/completions")
      return Response.json({
        id: "c",
        object: "chat.completion",
        model: "gpt-4o",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: request.headers.get("authorization") },
            finish_reason: "stop",
          },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
    return new Response("not found", { status: 404 });
  },
});
const origin = `http://127.0.0.1:${fake.port}`;

const dir = mkdtempSync(join(tmpdir(), "mindgw-azure-identity-"));
const tokenFile = join(dir, "azure-identity-token");
afterAll(() => {
  fake.stop(true);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  heard.length = 0;
  issued = 0;
  federated.current = "jwt-1";
  writeFileSync(tokenFile, "jwt-1\n");
});

const chat = providerCall({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });

/** What the fake Azure OpenAI answered a chat with: the authorization it was sent. */
async function sentAuthorization(env: Record<string, string>, entra?: EntraCredentials): Promise<unknown> {
  const provider = createAzureProvider({
    name: "az",
    baseUrl: origin,
    apiVersion: "v1",
    env,
    ...(entra ? { entra } : {}),
  });
  const reply = await provider.call(chat);
  if (reply.kind !== "json") throw new Error(`a ${reply.kind} reply`);
  return (reply.body as { choices: { message: { content: unknown } }[] }).choices[0]?.message.content;
}

describe("AKS Workload Identity", () => {
  const workloadEnv = {
    AZURE_TENANT_ID: TENANT,
    AZURE_CLIENT_ID: APP,
    AZURE_FEDERATED_TOKEN_FILE: tokenFile,
    AZURE_AUTHORITY_HOST: origin,
  };

  test("the environment's federated token is sent as a client assertion, and its token on the call", async () => {
    expect(await sentAuthorization(workloadEnv)).toBe("Bearer entra-1");
    expect(heard[0]).toEqual({
      method: "POST",
      path: `/${TENANT}/oauth2/v2.0/token`,
      query: {},
      headers: { metadata: null, "x-identity-header": null, authorization: null },
      form: {
        grant_type: "client_credentials",
        client_id: APP,
        client_assertion_type: JWT_BEARER,
        client_assertion: "jwt-1",
        scope: "https://cognitiveservices.azure.com/.default",
      },
    });
    expect(heard.map((h) => h.path)).toEqual([`/${TENANT}/oauth2/v2.0/token`, "/openai/v1/chat/completions"]);
  });

  test("the file is read again at each fetch: the token the kubelet rotated in is the one sent", async () => {
    let now = 0;
    const token = entraToken(
      "az",
      { tenant_id: TENANT, client_id: APP, federated_token_file: tokenFile, authority_host: origin },
      { now: () => now },
    );
    expect(await token.get()).toBe("entra-1");
    federated.current = "jwt-2";
    writeFileSync(tokenFile, "jwt-2");
    // The token has expired: the caller waits for a fresh one, asked with the rotated assertion.
    now = 3_600_000;
    expect(await token.get()).toBe("entra-2");
    expect(heard.map((h) => h.form.client_assertion)).toEqual(["jwt-1", "jwt-2"]);
  });

  test("config's federated_token_file wins over an environment client secret; an unreadable or empty file is a 502 saying so", async () => {
    const entra = {
      tenant_id: TENANT,
      client_id: APP,
      federated_token_file: tokenFile,
      authority_host: origin,
    };
    expect(await sentAuthorization({ AZURE_CLIENT_SECRET: "ignored" }, entra)).toBe("Bearer entra-1");
    const missing = await failureOf(
      entraToken("az", { ...entra, federated_token_file: join(dir, "absent") }).get(),
    );
    expect([missing.status, missing.message, missing.detail]).toEqual([
      502,
      "could not get credentials for upstream az: the federated token file could not be read",
      join(dir, "absent"),
    ]);
    writeFileSync(tokenFile, " \n");
    expect((await failureOf(entraToken("az", entra).get())).message).toBe(
      "could not get credentials for upstream az: the federated token file is empty",
    );
  });

  test("the environment's identities in DefaultAzureCredential's order: client secret, workload identity, App Service's managed identity", () => {
    const app = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP };
    const workload = { ...app, AZURE_FEDERATED_TOKEN_FILE: tokenFile };
    const appService = { IDENTITY_ENDPOINT: `${origin}/msi/token`, IDENTITY_HEADER: APP_SERVICE_SECRET };
    expect(entraFromEnvironment({ ...workload, ...appService, AZURE_CLIENT_SECRET: "s" })).toEqual({
      tenant_id: TENANT,
      client_id: APP,
      client_secret: "s",
      authority_host: undefined,
    });
    expect(entraFromEnvironment({ ...workload, ...appService })).toEqual({
      tenant_id: TENANT,
      client_id: APP,
      federated_token_file: tokenFile,
      authority_host: undefined,
    });
    expect(entraFromEnvironment(appService)).toEqual({ managed_identity: true });
  });
});

describe("managed identity", () => {
  const imds = { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin };

  test("Azure IMDS is asked with Metadata: true for the scope's resource; its token is sent on the call", async () => {
    expect(await sentAuthorization(imds, { managed_identity: true })).toBe("Bearer imds-1");
    expect(heard[0]).toEqual({
      method: "GET",
      path: "/metadata/identity/oauth2/token",
      query: { "api-version": "2018-02-01", resource: "https://cognitiveservices.azure.com" },
      headers: { metadata: "true", "x-identity-header": null, authorization: null },
      form: {},
    });
  });

  test("a user-assigned identity is asked for by its client_id; a scope in config names the resource", async () => {
    const token = entraToken(
      "az",
      { managed_identity: { client_id: USER_ASSIGNED }, scope: "https://ai.azure.com/.default" },
      { env: imds },
    );
    expect(await token.get()).toBe("imds-1");
    expect(heard[0]?.query).toEqual({
      "api-version": "2018-02-01",
      resource: "https://ai.azure.com",
      client_id: USER_ASSIGNED,
    });
  });

  test("expires_on is epoch seconds, as a string: the token is kept until its refresh margin, then fetched again", async () => {
    let now = (EXPIRES_ON - 3_600) * 1000;
    const token = entraToken("az", { managed_identity: true }, { env: imds, now: () => now });
    expect(await token.get()).toBe("imds-1");
    now = (EXPIRES_ON - 301) * 1000;
    expect(await token.get()).toBe("imds-1");
    expect(heard).toHaveLength(1);
    now = EXPIRES_ON * 1000;
    expect(await token.get()).toBe("imds-2");
  });

  test("App Service, Functions and Container Apps: IDENTITY_ENDPOINT with its X-IDENTITY-HEADER, api-version 2019-08-01, from the environment alone", async () => {
    const env = { IDENTITY_ENDPOINT: `${origin}/msi/token`, IDENTITY_HEADER: APP_SERVICE_SECRET };
    expect(await sentAuthorization(env)).toBe("Bearer app-service-1");
    expect(heard[0]).toEqual({
      method: "GET",
      path: "/msi/token",
      query: { "api-version": "2019-08-01", resource: "https://cognitiveservices.azure.com" },
      headers: { metadata: null, "x-identity-header": APP_SERVICE_SECRET, authorization: null },
      form: {},
    });
    // AZURE_CLIENT_ID beside them names a user-assigned identity, as DefaultAzureCredential reads it.
    heard.length = 0;
    expect(await sentAuthorization({ ...env, AZURE_CLIENT_ID: USER_ASSIGNED })).toBe("Bearer app-service-2");
    expect(heard[0]?.query.client_id).toBe(USER_ASSIGNED);
  });

  test("IMDS's 400 for an identity not assigned is a 502 with its OAuth code, its words for the log", async () => {
    const refused = await failureOf(
      entraToken("az", { managed_identity: { client_id: "not-assigned" } }, { env: imds }).get(),
    );
    expect([refused.status, refused.retryable, refused.message, refused.detail]).toEqual([
      502,
      true,
      "could not get credentials for upstream az: Azure IMDS (managed identity) answered 400: invalid_request",
      "Identity not found",
    ]);
  });

  test("an answer without a token or an expiry is refused, not guessed at", async () => {
    const ask = () => failureOf(entraToken("az", { managed_identity: true }, { env: imds }).get());
    next["/metadata/identity/oauth2/token"] = Response.json({ access_token: "t", token_type: "Bearer" });
    expect((await ask()).message).toBe(
      "could not get credentials for upstream az: Azure IMDS (managed identity) sent no expires_on",
    );
    next["/metadata/identity/oauth2/token"] = new Response("<html>proxy</html>");
    expect((await ask()).message).toBe(
      "could not get credentials for upstream az: Azure IMDS (managed identity) sent no access_token",
    );
  });

  test("an endpoint variable that is no URL is named; Service Fabric (IDENTITY_SERVER_THUMBPRINT) is refused as not supported, its endpoint not asked", async () => {
    const said = async (env: Record<string, string>) =>
      (await failureOf(entraToken("az", { managed_identity: true }, { env }).get())).message;
    expect(await said({ AZURE_POD_IDENTITY_AUTHORITY_HOST: "not a url" })).toBe(
      "could not get credentials for upstream az: AZURE_POD_IDENTITY_AUTHORITY_HOST is no URL",
    );
    expect(await said({ IDENTITY_ENDPOINT: "not a url", IDENTITY_HEADER: "h" })).toBe(
      "could not get credentials for upstream az: IDENTITY_ENDPOINT is no URL",
    );
    const before = heard.length;
    expect(
      await said({
        IDENTITY_ENDPOINT: `${origin}/msi/token`,
        IDENTITY_HEADER: "h",
        IDENTITY_SERVER_THUMBPRINT: "A1B2C3",
      }),
    ).toStartWith(
      "could not get credentials for upstream az: Service Fabric managed identity is not supported (IDENTITY_SERVER_THUMBPRINT is set)",
    );
    expect(heard.length).toBe(before);
  });

  test("IMDS not there (off Azure) is a 502 naming it and why", async () => {
    const port = freePort();
    const env = { AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${port}` };
    const absent = await failureOf(entraToken("az", { managed_identity: true }, { env }).get());
    expect(absent.message).toBe(
      "could not get credentials for upstream az: Azure IMDS (managed identity) could not be reached: connection refused (ECONNREFUSED)",
    );
  });
});

describe("Azure IMDS with nothing configured or announced, as DefaultAzureCredential ends its chain", () => {
  const imds = { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin };

  test("no api_key, no entra, no identity in the environment: IMDS is asked (Metadata: true, api-version 2018-02-01, the resource), user-assigned when AZURE_CLIENT_ID names one", async () => {
    expect(await sentAuthorization(imds)).toBe("Bearer imds-1");
    expect(heard[0]).toEqual({
      method: "GET",
      path: "/metadata/identity/oauth2/token",
      query: { "api-version": "2018-02-01", resource: "https://cognitiveservices.azure.com" },
      headers: { metadata: "true", "x-identity-header": null, authorization: null },
      form: {},
    });
    heard.length = 0;
    expect(await sentAuthorization({ ...imds, AZURE_CLIENT_ID: USER_ASSIGNED })).toBe("Bearer imds-2");
    expect(heard[0]?.query.client_id).toBe(USER_ASSIGNED);
  });

  test("off Azure (nothing there) the call fails at once, naming all that was looked for", async () => {
    const port = freePort();
    const provider = createAzureProvider({
      name: "az",
      baseUrl: origin,
      apiVersion: "v1",
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${port}` },
    });
    const absent = await failureOf(provider.call(chat));
    expect([absent.status, absent.message]).toEqual([
      502,
      "could not get credentials for upstream az: no api_key or entra in config, no Entra identity in the environment (AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE, or IDENTITY_ENDPOINT and IDENTITY_HEADER), and Azure IMDS (managed identity) could not be reached: connection refused (ECONNREFUSED)",
    ]);
    expect(heard.filter((entry) => entry.path.endsWith("/chat/completions"))).toEqual([]);
  });

  test("an IMDS that has not answered within a second (a host off Azure that drops the packets) is taken for absent", async () => {
    const held: (() => void)[] = [];
    const silent = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Promise<Response>((resolve) => held.push(() => resolve(new Response()))),
    });
    try {
      const started = performance.now();
      const token = entraToken("az", entraFromEnvironment({}) ?? {}, {
        env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${silent.port}` },
      });
      expect((await failureOf(token.get())).message).toEndWith(
        "and Azure IMDS (managed identity) did not answer within 1 s",
      );
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      for (const answer of held.splice(0)) answer();
      silent.stop(true);
    }
  });
});
