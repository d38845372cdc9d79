import { beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import type { WorkerProcess } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";
import { connectFleet } from "./harness/worker-fleet.ts";

// `log.format: json` through the compiled binary: every stderr line of the gateway and of a worker
// is one JSON object; each request leaves one access line with its id; refusals say why and
// never print the credential that was refused.

const WRONG_KEY = "mgw_thisKeyIsWrongAndMustNeverBeLogged1234";
/** The provider's key, held by the config: the gateway knows it word for word. */
const UPSTREAM_KEY = "upstream-secret-AAAA1111BBBB2222";
const JWT = {
  secret: "a-shared-secret-for-the-log-tests-0123456789",
  issuer: "https://idp.test",
  audience: "mindgw",
};

let fake: FakeUpstream;
let gw: GatewayProcess;
let worker: WorkerProcess;
let key: string;

type Line = Record<string, unknown>;

const linesOf = (text: string): Line[] =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Line);

const accessLine = (requestId: string) =>
  waitFor(`the access line of ${requestId}`, () =>
    linesOf(gw.stderr.all).find((line) => line.msg === "request" && line.request_id === requestId),
  );

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => ({
    log: { format: "json", level: "info" },
    providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1`, api_key: UPSTREAM_KEY }],
    models: [
      { name: "m1", routes: [{ provider: "fake", model: "fake-model" }] },
      { name: "m-glob-*", routes: [{ provider: "fake", model: "fake-model" }] },
      // Pass-through: the client's name goes upstream as it came (CLIENTS.md's `claude-*`).
      { name: "m-pass-*", routes: [{ provider: "fake", model: "*" }] },
    ],
    routing: { retries: 0 },
    auth: { jwt: { ...JWT, algorithms: ["HS256"], claims: { name: "sub", role: "role" } } },
  }),
});

beforeAll(async () => {
  ({ fake, gw } = fx);
  key = gw.adminKey ?? "";
  ({
    workers: [worker],
  } = await connectFleet(fx, [
    {
      upstream: `${fake.url}/v1`,
      name: "w-json",
      models: ["fake-model"],
      args: ["--log-format", "json", "--log-level", "info"],
    },
  ]));
}, 60_000);

describe("logs: json", () => {
  test("a served request leaves one info access line with its id, key, model, route, tokens and timings", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), "x-request-id": "log-ok-1" },
      body: chatBody("m1", "hello there", { stream: true, stream_options: { include_usage: true } }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const line = await accessLine("log-ok-1");
    expect(line).toMatchObject({
      level: "info",
      request_id: "log-ok-1",
      front_door: "chat",
      key: "bootstrap-admin",
      model: "m1",
      route: "provider:fake",
      upstream_model: "fake-model",
      status: 200,
      stream: true,
    });
    expect(line.tokens_in).toBeGreaterThan(0);
    expect(line.tokens_out).toBeGreaterThan(0);
    expect(line.latency_ms).toBeGreaterThan(0);
    expect(line.ttft_ms).toBeGreaterThan(0);
    expect(Number.isNaN(Date.parse(String(line.time)))).toBe(false);
    expect(linesOf(gw.stderr.all).filter((l) => l.request_id === "log-ok-1")).toHaveLength(1);
  });

  test("a refused request is logged at warn with status and reason, and the wrong key never appears", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(WRONG_KEY), "x-request-id": "log-401" },
      body: chatBody("m1"),
    });
    expect(res.status).toBe(401);
    const line = await accessLine("log-401");
    expect(line).toMatchObject({ level: "warn", status: 401, error: "unauthorized" });
    expect(String(line.reason).length).toBeGreaterThan(0);
    expect(gw.stderr.all).not.toContain(WRONG_KEY);
  });

  test("a refused JWT's line says which check failed (expiry, audience, role claim), never the token", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = (claims: Record<string, unknown>) =>
      new SignJWT({ sub: "bob", iss: JWT.issuer, aud: JWT.audience, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(new TextEncoder().encode(JWT.secret));
    const cases = {
      "jwt-expired": [await token({ exp: now - 600 }), "jwt_invalid: ERR_JWT_EXPIRED (exp)"],
      "jwt-aud": [await token({ aud: "another-app" }), "jwt_invalid: ERR_JWT_CLAIM_VALIDATION_FAILED (aud)"],
      "jwt-role": [await token({ role: "admin" }), "jwt_invalid: role claim not allowed"],
    } as const;
    for (const [id, [jwt, detail]] of Object.entries(cases)) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(jwt), "x-request-id": id },
        body: chatBody("m1"),
      });
      // The client gets the one uniform refusal; only the log says why.
      expect(await res.json()).toEqual({
        error: {
          message: "invalid or missing credentials",
          type: "authentication_error",
          param: null,
          code: "unauthorized",
        },
      });
      expect(await accessLine(id)).toMatchObject({
        level: "warn",
        status: 401,
        error: "unauthorized",
        detail,
      });
      expect(gw.stderr.all).not.toContain(jwt);
      expect(gw.stderr.all).not.toContain(jwt.split(".")[1] ?? "");
    }
  });

  test("an rpm refusal and a tpm refusal say which limit refused, in the access line and the audit row", async () => {
    const rpm = await createKey(gw, { name: "rpm-1", role: "user", models: ["*"], rpm: 1 });
    const tpm = await createKey(gw, { name: "tpm-5", role: "user", models: ["*"], tpm: 5 });
    const call = (apiKey: string, requestId: string) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(apiKey), "x-request-id": requestId },
        body: chatBody("m1"),
      });
    // Each key's first call passes (tpm-5's spends more than its five tokens), its second is refused.
    expect((await call(rpm.key, "log-rpm-ok")).status).toBe(200);
    expect((await call(rpm.key, "log-rpm-refused")).status).toBe(429);
    expect((await call(tpm.key, "log-tpm-ok")).status).toBe(200);
    expect((await call(tpm.key, "log-tpm-refused")).status).toBe(429);
    const said = {
      "log-rpm-refused": "rate limit reached for this credential on requests per minute (limit 1)",
      "log-tpm-refused": "rate limit reached for this credential on tokens per minute (limit 5)",
    };
    for (const [id, words] of Object.entries(said)) {
      const line = await accessLine(id);
      expect(line).toMatchObject({ level: "warn", status: 429, error: "rate_limited" });
      expect(String(line.reason)).toStartWith(words);
      expect((await auditRow(gw, id)).errorMessage).toStartWith(words);
    }
  });

  test("an unknown model and a failed upstream say why, at warn and error", async () => {
    const missing = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), "x-request-id": "log-404" },
      body: chatBody("no-such-model"),
    });
    expect(missing.status).toBe(404);
    expect(await accessLine("log-404")).toMatchObject({
      level: "warn",
      status: 404,
      error: "model_not_found",
      reason: expect.stringContaining("no-such-model"),
    });
    fake.enqueue({ status: 500, message: "upstream exploded" });
    const failed = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), "x-request-id": "log-502" },
      body: chatBody("m1"),
    });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    // The upstream's body reached the client as sent: the line's reason is what the client read
    // (as the audit row's error_message), and the gateway's own account is its detail.
    expect(((await failed.json()) as { error: { message: string } }).error.message).toBe("upstream exploded");
    const line = await accessLine("log-502");
    expect(line).toMatchObject({
      level: "error",
      status: failed.status,
      route: "provider:fake",
      reason: "upstream exploded",
      detail: "upstream fake answered 500: upstream exploded",
    });
    expect((await auditRow(gw, "log-502")).errorMessage).toBe("upstream exploded");
  });

  test("a credential sent as the model, or glued onto a name a glob routes, is recorded redacted: access line, audit row", async () => {
    const cases = [
      { id: "log-model-key", model: key, status: 404, recorded: "[redacted]" },
      { id: "log-model-upstream", model: UPSTREAM_KEY, status: 404, recorded: "[redacted]" },
      { id: "log-model-glob", model: `m-glob-${key}`, status: 400, recorded: "m-glob-[redacted]" },
    ];
    for (const { id, model, status, recorded } of cases) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(key), "x-request-id": id },
        body: chatBody(model),
      });
      expect({ id, status: res.status }).toEqual({ id, status });
      await res.text();
      expect(await accessLine(id)).toMatchObject({ request_id: id, model: recorded, status });
      expect(await auditRow(gw, id)).toMatchObject({ model: recorded, status });
    }
    const logged = linesOf(gw.stderr.all).filter((l) => String(l.request_id).startsWith("log-model-"));
    expect(JSON.stringify(logged)).not.toContain(key);
    expect(JSON.stringify(logged)).not.toContain(UPSTREAM_KEY);
  });

  test("a credential glued onto a name a pass-through glob routes is refused (400, param model) and never sent upstream; a plain name is served and recorded as sent", async () => {
    const glued = `m-pass-x-mgw_${"Ab3".repeat(14)}C`;
    const sentBefore = fake.requests.length;
    const refused = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), "x-request-id": "log-pass-key" },
      body: chatBody(glued),
    });
    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as { error: { type: string; param: string } };
    expect(error).toMatchObject({ type: "invalid_request_error", param: "model" });
    expect(await accessLine("log-pass-key")).toMatchObject({ model: "m-pass-x-[redacted]", status: 400 });
    expect(await auditRow(gw, "log-pass-key")).toMatchObject({ model: "m-pass-x-[redacted]", status: 400 });

    const served = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), "x-request-id": "log-pass-ok" },
      body: chatBody("m-pass-x-plain"),
    });
    expect(served.status).toBe(200);
    await served.text();
    const recorded = { model: "m-pass-x-plain", upstream_model: "m-pass-x-plain", status: 200 };
    expect(await accessLine("log-pass-ok")).toMatchObject(recorded);
    expect(await auditRow(gw, "log-pass-ok")).toMatchObject({
      model: "m-pass-x-plain",
      upstreamModel: "m-pass-x-plain",
    });
    // The served one is the only request the upstream got since: the refused name reached nothing.
    expect(fake.requests.slice(sentBefore).map((r) => (r.body as { model?: string }).model)).toEqual([
      "m-pass-x-plain",
    ]);
    expect(gw.stderr.all).not.toContain(glued);
  });

  test("a failed attempt's warning names the request, route and model, its reason redacted as the access line's", async () => {
    const leaked = ["sk-proj-LEAKEDupstreamKEY0123456789", "mgw_LeakedGatewayKeyInAnUpstreamText01"];
    fake.enqueue({ status: 429, message: `Rate limited for key ${leaked[0]} (${leaked[1]})` });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), "x-request-id": "log-route-failed" },
      body: chatBody("m1"),
    });
    expect(res.status).toBe(429);
    await res.text();
    await accessLine("log-route-failed");
    const line = await waitFor("the route's warning", () =>
      linesOf(gw.stderr.all).find((l) => l.msg === "route failed" && l.request_id === "log-route-failed"),
    );
    expect(line).toMatchObject({
      level: "warn",
      route: "provider:fake",
      upstream_model: "fake-model",
      error: "rate_limited",
      reason: "Rate limited for key [redacted] ([redacted])",
    });
    for (const secret of leaked) expect(gw.stderr.all).not.toContain(secret);
  });

  test("a worker whose upstream breaks off its answer says so in its own log, with the request id and upstream", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(key), "x-request-id": "log-worker-broken" },
      body: chatBody("fake-model", "one two three four [[fake:cut-after=2]]", { stream: true }),
    });
    await res.text().catch(() => "");
    const line = await waitFor("the worker's line about its upstream", () =>
      linesOf(worker.stderr.all).find((l) => l.request_id === "log-worker-broken"),
    );
    expect(line).toMatchObject({
      level: "warn",
      msg: "the upstream broke off its answer",
      code: "upstream_broken",
      upstream: `${fake.url}/v1/chat/completions`,
    });
  });

  test("a failing configured route and a failing worker route are told alike: the access line names the route and its detail the upstream, the audit row the route and each attempt's; the caller and the row's error read the upstream's words alone", async () => {
    // The route as the config spells it, `provider:NAME` or `worker:NAME`; the log's detail names
    // its upstream `upstream NAME` or `worker NAME`, whichever path (a provider's read, the relay)
    // failed. The audit row's error is what the caller was told, the upstream's words without the
    // gateway's framing: its route and attempts say which upstream it was.
    const cases = [
      { model: "m1", route: "provider:fake", named: "upstream fake" },
      { model: "fake-model", route: "worker:w-json", named: "worker w-json" },
    ];
    for (const { model, route, named } of cases) {
      const id = `log-named-${model}`;
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...bearer(key), "x-request-id": id },
        body: chatBody(model, "hi [[fake:errorBody]]"),
      });
      expect(res.status).toBe(502);
      const { message } = ((await res.json()) as { error: { message: string } }).error;
      expect(message).toBe("fake upstream: an error in a 200 answer");
      expect(await accessLine(id)).toMatchObject({
        level: "error",
        route,
        reason: message,
        detail: `${named} answered 200 with an error: ${message}`,
      });
      const row = await auditRow(gw, id);
      expect(row).toMatchObject({ route, status: 502, errorMessage: message });
      expect(row.attempts?.length).toBeGreaterThan(0);
      for (const attempt of row.attempts ?? []) expect(attempt).toMatchObject({ route, outcome: "failed" });
    }
  });

  test("every line of the gateway and the worker is JSON with time, level and msg", async () => {
    const workerLines = await waitFor("the worker's registration line", () => {
      const lines = linesOf(worker.stderr.all);
      return lines.some((l) => l.msg === "registered with the gateway") ? lines : undefined;
    });
    const gatewayLines = linesOf(gw.stderr.all);
    for (const line of [...workerLines, ...gatewayLines]) {
      expect(typeof line.time).toBe("string");
      expect(["debug", "info", "warn", "error"]).toContain(line.level as string);
      expect(typeof line.msg).toBe("string");
    }
    expect(gatewayLines.find((l) => l.msg === "worker connected")).toMatchObject({ worker: "w-json" });
  });

  // Last: the worker stops here. One log pipeline reads both processes, so both name fields alike.
  test("every field the gateway and the worker log is named in snake_case, up to the worker's drain", async () => {
    expect(await worker.stop("SIGTERM")).toBe(0);
    const workerLines = linesOf(worker.stderr.all);
    expect(workerLines.find((l) => l.msg === "registered with the gateway")).toMatchObject({
      worker_id: expect.any(String),
      models: ["fake-model"],
    });
    expect(workerLines.find((l) => l.msg === "draining: finishing in-flight requests")).toMatchObject({
      in_flight: 0,
    });
    await waitFor("the gateway to see the worker go", () =>
      linesOf(gw.stderr.all).some((l) => l.msg === "worker disconnected" && l.worker === "w-json"),
    );
    const keys = new Set([...workerLines, ...linesOf(gw.stderr.all)].flatMap((line) => Object.keys(line)));
    expect([...keys].filter((key) => !/^[a-z0-9_.]+$/.test(key))).toEqual([]);
  });
});
