import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { bearer, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { anthropicFailure, openaiFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// Real processes on a shared 2-core machine: generous bounds, every wait bounded on its own.
setDefaultTimeout(30_000);

// Every /v1 route demands a credential; every refusal is the same 401 in the caller's
// dialect; roles and model allow-lists are enforced, through the binary.

const UNIFORM = "invalid or missing credentials";

let gw: GatewayProcess;
let admin: string;
const keys: Record<string, { id: string; key: string }> = {};

interface Route {
  method: "GET" | "POST";
  path: string;
  dialect: "openai" | "anthropic";
  body?: object;
}

const ROUTES: Route[] = [
  {
    method: "POST",
    path: "/v1/chat/completions",
    dialect: "openai",
    body: { model: "m1", messages: [{ role: "user", content: "hi" }] },
  },
  { method: "POST", path: "/v1/completions", dialect: "openai", body: { model: "m1", prompt: "hi" } },
  { method: "POST", path: "/v1/embeddings", dialect: "openai", body: { model: "m1", input: "hi" } },
  { method: "GET", path: "/v1/models", dialect: "openai" },
  { method: "GET", path: "/v1/models/m1", dialect: "openai" },
  // Anthropic's SDK lists and retrieves models on the same paths (`anthropic-version` says who asks).
  { method: "GET", path: "/v1/models", dialect: "anthropic" },
  { method: "GET", path: "/v1/models/m1", dialect: "anthropic" },
  {
    method: "POST",
    path: "/v1/responses",
    dialect: "openai",
    body: { model: "m1", input: "hi" },
  },
  {
    method: "POST",
    path: "/v1/messages",
    dialect: "anthropic",
    body: { model: "m1", max_tokens: 16, messages: [{ role: "user", content: "hi" }] },
  },
  {
    method: "POST",
    path: "/v1/messages/count_tokens",
    dialect: "anthropic",
    body: { model: "c1", messages: [{ role: "user", content: "hi" }] },
  },
];

/** As the SDKs send it: Anthropic's with its `anthropic-version`. */
function call(route: Route, headers: Record<string, string>): Promise<Response> {
  const version: Record<string, string> =
    route.dialect === "anthropic" ? { "anthropic-version": "2023-06-01" } : {};
  return fetch(gw.url + route.path, {
    method: route.method,
    headers: { "content-type": "application/json", ...version, ...headers },
    ...(route.body ? { body: JSON.stringify(route.body) } : {}),
  });
}

async function expectUniform401(res: Response, dialect: Route["dialect"], secret?: string): Promise<void> {
  const text = await res.text();
  expect(res.status).toBe(401);
  expect(res.headers.get("x-request-id")).toBeTruthy();
  if (secret) expect(text).not.toContain(secret);
  const body = JSON.parse(text) as Record<string, unknown>;
  if (dialect === "openai") {
    expect(body).toEqual({
      error: { message: UNIFORM, type: "authentication_error", param: null, code: "unauthorized" },
    });
  } else {
    expect(body).toEqual({
      type: "error",
      error: { type: "authentication_error", message: UNIFORM },
      request_id: expect.stringMatching(/^req_/),
    });
  }
}

async function createKey(
  name: string,
  input: Record<string, unknown> = {},
): Promise<{ id: string; key: string }> {
  const res = await fetch(`${gw.url}/admin/api/keys`, {
    method: "POST",
    headers: bearer(admin),
    body: JSON.stringify({ name, ...input }),
  });
  expect(res.status).toBe(201);
  const issued = (await res.json()) as { id: string; key: string };
  keys[name] = issued;
  return issued;
}

async function showKey(id: string): Promise<{ status: string; expires_at: string | null }> {
  const res = await fetch(`${gw.url}/admin/api/keys/${id}`, { headers: bearer(admin) });
  return (await res.json()) as { status: string; expires_at: string | null };
}

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake }) => {
    const config = fakeRoutesConfig(fake.url, ["m1", "m2"]) as { providers: object[]; models: object[] };
    // An Anthropic-shaped route, so count_tokens has somewhere to go.
    config.providers.push({ name: "fakea", type: "anthropic", base_url: fake.url });
    config.models.push({ name: "c1", routes: [{ provider: "fakea", model: "c1" }] });
    // A glob entry: names it matches are routed, though no list can show them.
    config.models.push({ name: "g-*", routes: [{ provider: "fake", model: "*" }] });
    return config;
  },
});

beforeAll(async () => {
  gw = fx.gw;
  admin = gw.adminKey ?? "";
  await createKey("user");
  await createKey("narrow", { models: "m1" });
  await createKey("worker", { role: "worker" });
  const revoked = await createKey("revoked");
  await fetch(`${gw.url}/admin/api/keys/${revoked.id}/revoke`, { method: "POST", headers: bearer(admin) });
  // A key is never issued already expired: this one is let expire.
  const expiring = await createKey("expired", { expires_in: "1s" });
  await waitFor("the key to expire", async () => (await showKey(expiring.id)).status === "expired");
}, 30_000);

const key = (name: string) => keys[name]?.key ?? "";

describe("credentials on every /v1 route", () => {
  test("Bearer and x-api-key both work on every route", async () => {
    for (const route of ROUTES) {
      const both: Record<string, string>[] = [
        { authorization: `Bearer ${key("user")}` },
        { "x-api-key": key("user") },
      ];
      for (const headers of both) {
        const res = await call(route, headers);
        const text = await res.text();
        expect({ path: route.path, status: res.status, text }).toMatchObject({
          path: route.path,
          status: 200,
        });
      }
    }
  });

  test("missing, garbage, hash-as-key, unknown, revoked and expired → the same 401 in the caller's dialect", async () => {
    const userHash = new Bun.CryptoHasher("sha256").update(key("user")).digest("hex");
    const bad: [string, Record<string, string>, string?][] = [
      ["missing", {}],
      ["empty bearer", { authorization: "Bearer " }],
      ["basic auth", { authorization: `Basic ${btoa(`x:${key("user")}`)}` }, key("user")],
      ["garbage", { authorization: "Bearer not-a-key" }, "not-a-key"],
      ["garbage x-api-key", { "x-api-key": "%%%%" }],
      ["hash as key", { authorization: `Bearer ${userHash}` }, userHash],
      ["hash as x-api-key", { "x-api-key": userHash }, userHash],
      ["prefixed hash", { authorization: `Bearer mgw_${userHash}` }, userHash],
      ["unknown key", { authorization: `Bearer mgw_${"A".repeat(43)}` }, "A".repeat(43)],
      ["truncated key", { authorization: `Bearer ${key("user").slice(0, -1)}` }, key("user").slice(0, -1)],
      ["revoked", { authorization: `Bearer ${key("revoked")}` }, key("revoked")],
      ["revoked x-api-key", { "x-api-key": key("revoked") }, key("revoked")],
      ["expired", { authorization: `Bearer ${key("expired")}` }, key("expired")],
      ["jwt-shaped, jwt off", { authorization: "Bearer aaa.bbb.ccc" }, "aaa.bbb.ccc"],
      ["longer than any credential", { authorization: `Bearer mgw_${"x".repeat(9000)}` }],
    ];
    for (const route of ROUTES) {
      for (const [, headers, secret] of bad) {
        await expectUniform401(await call(route, headers), route.dialect, secret);
      }
    }
  });

  test("the official SDKs see an authentication error", async () => {
    const openai = new OpenAI({ apiKey: key("revoked"), baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const failure = await openaiFailure(
      openai.chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hi" }] }),
    );
    expect(failure).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(failure.message).toContain(UNIFORM);

    const anthropic = new Anthropic({ apiKey: "garbage", baseURL: gw.url, maxRetries: 0 });
    const refused = await anthropicFailure(
      anthropic.messages.create({ model: "m1", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
    );
    expect(refused).toBeInstanceOf(Anthropic.AuthenticationError);

    const ok = await new Anthropic({ apiKey: key("user"), baseURL: gw.url, maxRetries: 0 }).messages.create({
      model: "m1",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(ok.type).toBe("message");
  });
});

describe("roles", () => {
  const ADMIN_PATHS: [string, string][] = [
    ["GET", "/admin/api/keys"],
    ["POST", "/admin/api/keys"],
    ["GET", "/admin/api/audit"],
    ["GET", "/admin/api/workers"],
    ["GET", "/admin/api/status"],
    ["GET", "/admin/api/events"],
  ];

  test("a user key and a worker key get 403 on /admin/api/*; the admin key gets in", async () => {
    for (const who of ["user", "worker", "narrow"]) {
      for (const [method, path] of ADMIN_PATHS) {
        const res = await fetch(gw.url + path, {
          method,
          headers: bearer(key(who)),
          ...(method === "POST" ? { body: JSON.stringify({ name: "x", role: "admin" }) } : {}),
        });
        expect({ who, path, status: res.status }).toEqual({ who, path, status: 403 });
        await res.arrayBuffer();
      }
    }
    const res = await fetch(`${gw.url}/admin/api/status`, { headers: bearer(admin) });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    // No or bad credentials on the admin API: the same uniform 401.
    const refused: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${key("revoked")}` },
      { "x-api-key": "nope" },
    ];
    for (const headers of refused) {
      await expectUniform401(await fetch(`${gw.url}/admin/api/keys`, { headers }), "openai", key("revoked"));
    }
  });

  test("a worker key gets 403 on every model API", async () => {
    for (const route of ROUTES) {
      const res = await call(route, { authorization: `Bearer ${key("worker")}` });
      const text = await res.text();
      expect({ path: route.path, status: res.status }).toEqual({ path: route.path, status: 403 });
      if (route.dialect === "anthropic") expect(JSON.parse(text).error.type).toBe("permission_error");
      else expect(JSON.parse(text).error.type).toBe("permission_error");
    }
  });

  test("a key limited to m1: m2 is the 404 of a missing model in both dialects; /v1/models lists only m1", async () => {
    const narrow = key("narrow");
    const chat = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(narrow),
      body: JSON.stringify({ model: "m2", messages: [{ role: "user", content: "hi" }] }),
    });
    const missing = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(narrow),
      body: JSON.stringify({ model: "m3", messages: [{ role: "user", content: "hi" }] }),
    });
    // Nothing tells a name that exists beyond the key's list from one that does not.
    expect([chat.status, missing.status]).toEqual([404, 404]);
    const denied = (await chat.json()) as { error: { message: string } };
    expect(denied.error).toMatchObject({ type: "invalid_request_error", code: "model_not_found" });
    expect(JSON.stringify(denied).replaceAll("m2", "m3")).toBe(JSON.stringify(await missing.json()));
    const messages = await fetch(`${gw.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": narrow, "content-type": "application/json" },
      body: JSON.stringify({ model: "m2", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(messages.status).toBe(404);
    expect((await messages.json()) as object).toMatchObject({
      type: "error",
      error: { type: "not_found_error" },
    });
    const embeddings = await fetch(`${gw.url}/v1/embeddings`, {
      method: "POST",
      headers: bearer(narrow),
      body: JSON.stringify({ model: "m2", input: "hi" }),
    });
    expect(embeddings.status).toBe(404);
    await embeddings.arrayBuffer();

    const openai = new OpenAI({ apiKey: narrow, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const ids = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toEqual(["m1"]);
    const all = [];
    for await (const model of new OpenAI({
      apiKey: key("user"),
      baseURL: `${gw.url}/v1`,
      maxRetries: 0,
    }).models.list())
      all.push(model.id);
    expect(all.sort()).toEqual(["c1", "m1", "m2"]);
    // models.retrieve: what the key may use, a glob's match included; else the same 404 for a
    // model not the key's as for one that does not exist.
    expect(await openai.models.retrieve("m1")).toMatchObject({ id: "m1", object: "model" });
    const wide = new OpenAI({ apiKey: key("user"), baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect(await wide.models.retrieve("g-anything")).toMatchObject({ id: "g-anything", object: "model" });
    for (const [client, id] of [
      [openai, "m2"],
      [openai, "g-anything"],
      [wide, "no-such-model"],
    ] as const) {
      const error = await openaiFailure(client.models.retrieve(id));
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect(error.code).toBe("model_not_found");
    }
    const ok = await openai.chat.completions.create({
      model: "m1",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(ok.choices[0]?.message.content).toContain("hi");
  });

  test("Anthropic's SDK lists and retrieves models in its own shape, paged, only the key's", async () => {
    const anthropic = (name: string) => new Anthropic({ apiKey: key(name), baseURL: gw.url, maxRetries: 0 });
    const listed = async (client: Anthropic, query: Anthropic.ModelListParams = {}) => {
      const ids = [];
      for await (const model of client.models.list(query)) ids.push(model.id);
      return ids;
    };
    expect(await listed(anthropic("narrow"))).toEqual(["m1"]);
    // One model a page: the SDK pages on with `after_id` until `has_more` is false.
    const user = anthropic("user");
    const all = await listed(user);
    expect(all.sort()).toEqual(["c1", "m1", "m2"]);
    expect(await listed(user, { limit: 1 })).toEqual(await listed(user));
    const first = await user.models.list({ limit: 2 });
    expect(first.data.map((m) => m.id)).toHaveLength(2);
    expect({ more: first.has_more, first: first.first_id, last: first.last_id }).toEqual({
      more: true,
      first: first.data[0]?.id ?? "",
      last: first.data[1]?.id ?? "",
    });
    expect(await listed(user, { lifecycle: ["deprecated"] })).toEqual([]);
    const m1 = await user.models.retrieve("m1");
    expect(m1).toMatchObject({ type: "model", id: "m1", display_name: "m1", lifecycle: "active" });
    expect(m1._request_id).toMatch(/^req_/);
    expect(await user.models.retrieve("g-anything")).toMatchObject({ type: "model", id: "g-anything" });
    for (const [client, id] of [
      [anthropic("narrow"), "m2"],
      [user, "no-such-model"],
    ] as const) {
      const error = await anthropicFailure(client.models.retrieve(id));
      expect(error).toBeInstanceOf(Anthropic.NotFoundError);
      expect(error.error).toMatchObject({
        type: "error",
        error: { type: "not_found_error" },
      });
    }
    const badLimit = await anthropicFailure(user.models.list({ limit: 5000 }));
    expect(badLimit).toBeInstanceOf(Anthropic.BadRequestError);
    expect(badLimit.message).toContain("limit");
    const badCursor = await anthropicFailure(user.models.list({ after_id: "gone" }));
    expect(badCursor).toBeInstanceOf(Anthropic.BadRequestError);
    expect(badCursor.message).toContain("after_id");
  });

  test("a non-admin cannot create, widen, rotate or revoke keys through /admin/api/keys", async () => {
    const narrowId = keys.narrow?.id ?? "";
    const attempts: [string, string, object | undefined][] = [
      ["POST", "/admin/api/keys", { name: "mine", role: "admin", models: "*" }],
      ["POST", "/admin/api/keys", { name: "mine" }],
      ["POST", `/admin/api/keys/${narrowId}/rotate`, { grace: "1s" }],
      ["POST", `/admin/api/keys/${narrowId}/revoke`, undefined],
      ["GET", `/admin/api/keys/${narrowId}`, undefined],
      ["PATCH", `/admin/api/keys/${narrowId}`, { role: "admin", models: ["*"] }],
      ["PUT", `/admin/api/keys/${narrowId}`, { role: "admin", models: ["*"] }],
    ];
    const before = (await (await fetch(`${gw.url}/admin/api/keys`, { headers: bearer(admin) })).json()) as {
      keys: unknown[];
    };
    for (const who of ["narrow", "user"]) {
      for (const [method, path, body] of attempts) {
        const res = await fetch(gw.url + path, {
          method,
          headers: bearer(key(who)),
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        await res.arrayBuffer();
        expect({ who, method, path, refused: [403, 404, 405].includes(res.status) }).toEqual({
          who,
          method,
          path,
          refused: true,
        });
      }
    }
    const after = (await (await fetch(`${gw.url}/admin/api/keys`, { headers: bearer(admin) })).json()) as {
      keys: { id: string; role: string; models: string[]; status: string }[];
    };
    expect(after.keys.length).toBe(before.keys.length);
    expect(after.keys.find((k) => k.id === narrowId)).toMatchObject({
      role: "user",
      models: ["m1"],
      status: "active",
    });
    // Still narrow after all that.
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(key("narrow")),
      body: JSON.stringify({ model: "m2", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(404);
    await res.arrayBuffer();
  });

  test("an admin key that expires can neither mint a key that outlives it nor revoke one (the unrestricted admin)", async () => {
    const contractor = await createKey("contractor", { role: "admin", expires_in: "1h" });
    const post = (path: string, body?: object) =>
      fetch(gw.url + path, {
        method: "POST",
        headers: bearer(contractor.key),
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const backdoor = await post("/admin/api/keys", { name: "backdoor", role: "admin" });
    expect(backdoor.status).toBe(403);
    const { message } = ((await backdoor.json()) as { error: { message: string } }).error;
    expect(message).toStartWith(
      "this admin key may not create a key wider than itself: it never expires, and this credential expires at ",
    );
    expect((await post("/admin/api/keys", { name: "backdoor", expires_in: "2h" })).status).toBe(403);
    for (const action of ["revoke", "rotate"]) {
      const res = await post(`/admin/api/keys/bootstrap-admin/${action}`);
      expect(res.status).toBe(403);
      await res.arrayBuffer();
    }
    expect((await showKey("bootstrap-admin")).status).toBe("active");
    // Within its own life it mints as any admin.
    const inner = await post("/admin/api/keys", { name: "inner", expires_in: "30m" });
    expect(inner.status).toBe(201);
    await inner.arrayBuffer();
  });
});
