import { afterAll, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { freePort } from "../../testing/free-port.ts";
import { failureOf } from "../../testing/gateway-error-of.ts";
import { CredentialFailure } from "./credential-failure.ts";
import { fetchOAuthToken, requestToken } from "./fetch-token.ts";

/** Google's token endpoint, answering each POST with the next of `answers`. */
const answers: Response[] = [];
const endpoint = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: () => answers.shift() ?? Response.json({ error: "server_error" }, { status: 500 }),
});
afterAll(() => endpoint.stop(true));
const url = `http://127.0.0.1:${endpoint.port}/token`;

test("a refusal says its OAuth error code; its description, which may name the account, goes to the log alone", async () => {
  answers.push(
    Response.json({ error: "invalid_grant", error_description: "Invalid JWT Signature." }, { status: 400 }),
  );
  const refused = await failureOf(fetchOAuthToken("vx", url, { grant_type: "jwt" }));
  expect(refused).toBeInstanceOf(GatewayError);
  expect([refused.status, refused.message, refused.detail]).toEqual([
    502,
    "could not get credentials for upstream vx: the token endpoint answered 400: invalid_grant",
    "Invalid JWT Signature.",
  ]);
  // The description is the operator's: Google's naming the project is kept as said.
  const project = "Invalid grant for projects/acme-prod/locations/global/workloadIdentityPools/p.";
  answers.push(Response.json({ error: "invalid_grant", error_description: project }, { status: 400 }));
  expect((await failureOf(fetchOAuthToken("vx", url, {}))).detail).toBe(project);
  // Entra ID's words name the app: the log's alone, as said, a long description cut.
  answers.push(
    Response.json(
      {
        error: "invalid_client",
        error_description: `AADSTS7000215: Invalid client secret. ${"x".repeat(400)}`,
      },
      { status: 401 },
    ),
  );
  const cut = await failureOf(fetchOAuthToken("az", url, {}));
  expect(cut.message).toEndWith("the token endpoint answered 401: invalid_client");
  expect(cut.detail?.length).toBe(301);
  // No OAuth error in the body: the status alone.
  answers.push(new Response("<html>bad gateway</html>", { status: 502 }));
  expect((await failureOf(fetchOAuthToken("vx", url, {}))).message).toEndWith(
    "the token endpoint answered 502",
  );
});

test("an endpoint that cannot be reached says why", async () => {
  const port = freePort();
  const unreachable = await failureOf(fetchOAuthToken("vx", `http://127.0.0.1:${port}/token`, {}));
  expect(unreachable.message).toBe(
    "could not get credentials for upstream vx: the token endpoint could not be reached: connection refused (ECONNREFUSED)",
  );
});

test("a 429 or 503 keeps the endpoint's Retry-After, in seconds or as a date, for the backoff alone (never sent on)", async () => {
  answers.push(
    Response.json({ error: "temporarily_unavailable" }, { status: 503, headers: { "retry-after": "120" } }),
  );
  const down = await failureOf(fetchOAuthToken("az", url, {}));
  expect(down).toBeInstanceOf(CredentialFailure);
  expect([down.message, (down as CredentialFailure).retryAfterMs, down.headers]).toEqual([
    "could not get credentials for upstream az: the token endpoint answered 503: temporarily_unavailable",
    120_000,
    {},
  ]);
  const now = Date.parse("2026-01-01T00:00:00Z");
  answers.push(
    new Response("slow down", { status: 429, headers: { "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" } }),
  );
  const throttled = await failureOf(fetchOAuthToken("az", url, {}, fetch, () => now));
  expect((throttled as CredentialFailure).retryAfterMs).toBe(30_000);
  // Another status's Retry-After is no wait the endpoint asked for.
  answers.push(new Response("no", { status: 400, headers: { "retry-after": "120" } }));
  expect(
    ((await failureOf(fetchOAuthToken("az", url, {}))) as CredentialFailure).retryAfterMs,
  ).toBeUndefined();
});

test("an endpoint that does not answer in time says so, in the words every credential endpoint uses", async () => {
  const silent = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => {}) });
  try {
    const request = {
      url: `http://127.0.0.1:${silent.port}/token`,
      init: { method: "POST" },
      what: "the token endpoint",
      timeoutMs: 50,
    };
    const late = await failureOf(requestToken("az", request));
    expect([late.status, late.retryable, late.message]).toEqual([
      502,
      true,
      "could not get credentials for upstream az: the token endpoint did not answer within 0.05 s",
    ]);
  } finally {
    silent.stop(true);
  }
});
