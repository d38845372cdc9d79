import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import type { AuditRecord } from "../audit/audit-record.ts";
import { parseConfig } from "../config/load-config.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import { waitFor, waitForValue } from "../testing/wait-for.ts";
import type { Gateway } from "./create-gateway.ts";

// The audit promise, request kind by request kind: each leaves exactly one row, with the status
// its client got and the request id of its `x-request-id` header.
const dir = mkdtempSync(join(tmpdir(), "mindgw-audit-sweep-"));
let gateway: Gateway;
let adminKey = "";
let finished: AuditRecord[] = [];
const keys: Record<string, string> = {};
const JWT_SECRET = "a-secret-of-at-least-thirty-two-characters";

/** A JWT of the configured issuer and audience that expired an hour ago. */
const expiredJwt = () =>
  new SignJWT({ sub: "someone" })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer("https://idp.test")
    .setAudience("mindgw")
    .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
    .sign(new TextEncoder().encode(JWT_SECRET));

const call = (
  method: string,
  path: string,
  key: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
) =>
  gateway.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    }),
  );

const chat = (model: string) => ({ model, messages: [{ role: "user", content: "hi" }] });

async function createKey(body: object): Promise<{ key: string; id: string }> {
  const created = await call("POST", "/admin/api/keys", adminKey, body);
  expect(created.status).toBe(201);
  return (await created.json()) as { key: string; id: string };
}

/** Its one row: waits for it, then checks no second one came for the same id. */
async function soleRow(response: Response): Promise<AuditRecord> {
  const id = response.headers.get("x-request-id") ?? "";
  expect(id).not.toBe("");
  await response.arrayBuffer();
  await waitFor(`the audit row of ${id}`, () => finished.some((record) => record.requestId === id));
  // A later turn's end would be another row for the same request: let the turn's ends run.
  await call("GET", "/healthz", null);
  const rows = finished.filter((record) => record.requestId === id);
  expect(rows).toHaveLength(1);
  const row = rows[0] as AuditRecord;
  expect(row.status).toBe(response.status);
  return row;
}

beforeAll(async () => {
  const config = parseConfig({
    storage: { path: join(dir, "gw.db") },
    server: { max_body: "2KB" },
    providers: [{ name: "demo", type: "mock" }],
    models: [
      { name: "m", routes: [{ provider: "demo", model: "m" }] },
      { name: "elsewhere", routes: [{ provider: "demo", model: "elsewhere" }] },
      {
        name: "shadowed",
        routes: [{ provider: "demo", model: "m" }],
        shadow: { provider: "demo", model: "candidate", sample: 1 },
      },
    ],
    tenants: [{ name: "poor", budget: { usd: 0.000001 } }],
    auth: {
      jwt: { secret: JWT_SECRET, issuer: "https://idp.test", audience: "mindgw", algorithms: ["HS256"] },
    },
    prices: { m: { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 } },
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
  keys.user = (await createKey({ name: "user", models: ["m"] })).key;
  keys.slow = (await createKey({ name: "slow", rpm: 1 })).key;
  keys.poor = (await createKey({ name: "poor", tenant: "poor" })).key;
  const revoked = await createKey({ name: "revoked" });
  keys.revoked = revoked.key;
  expect((await call("POST", `/admin/api/keys/${revoked.id}/revoke`, adminKey)).status).toBe(200);
});

afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("every request kind leaves exactly one audit row with its status", () => {
  test("refused before a handler: no key, a bad key, a revoked key, an expired JWT", async () => {
    for (const key of [null, "mgw_notAKey0123456789", keys.revoked as string, await expiredJwt()]) {
      const response = await call("POST", "/v1/chat/completions", key, chat("m"));
      expect(response.status).toBe(401);
      const row = await soleRow(response);
      expect(row.keyId).toBeNull();
    }
  });

  test("bad input: malformed JSON, too large, a path under /v1 that is none, validation in each dialect", async () => {
    const cases: [string, string, unknown, number][] = [
      ["POST", "/v1/chat/completions", "{not json", 400],
      ["POST", "/v1/chat/completions", { ...chat("m"), pad: "x".repeat(4096) }, 413],
      ["POST", "/v1/nothing-here", chat("m"), 404],
      ["GET", "/v1/nothing-here", undefined, 404],
      ["POST", "/v1/chat/completions", { model: "m" }, 400],
      ["POST", "/v1/messages", { model: "m", messages: "no" }, 400],
      ["POST", "/v1/responses", { model: "m", input: 7 }, 400],
      ["POST", "/v1/embeddings", { model: "m" }, 400],
      ["POST", "/v1/completions", { model: "m" }, 400],
    ];
    for (const [method, path, body, status] of cases) {
      const response = await call(method, path, adminKey, body);
      expect(`${method} ${path} ${response.status}`).toBe(`${method} ${path} ${status}`);
      await soleRow(response);
    }
  });

  test("refused by policy: unknown model, a model not the key's, rate-limited, budget spent", async () => {
    const unknown = await call("POST", "/v1/chat/completions", adminKey, chat("nope"));
    expect(unknown.status).toBe(404);
    expect((await soleRow(unknown)).model).toBe("nope");
    const notAllowed = await call("POST", "/v1/chat/completions", keys.user as string, chat("elsewhere"));
    // Refused as an unknown model is (404): a key learns nothing of the models it may not call.
    expect(notAllowed.status).toBe(404);
    expect((await soleRow(notAllowed)).keyName).toBe("user");
    expect((await call("POST", "/v1/chat/completions", keys.slow as string, chat("m"))).status).toBe(200);
    const limited = await call("POST", "/v1/chat/completions", keys.slow as string, chat("m"));
    expect(limited.status).toBe(429);
    expect((await soleRow(limited)).keyName).toBe("slow");
    const spent = await call("POST", "/v1/chat/completions", keys.poor as string, chat("m"));
    await soleRow(spent);
    const broke = await call("POST", "/v1/chat/completions", keys.poor as string, chat("m"));
    expect(broke.status).toBe(429);
    expect((await soleRow(broke)).tenant).toBe("poor");
  });

  test("served: chat, completions, embeddings, count_tokens, the model list and one model", async () => {
    const cases: [string, string, unknown][] = [
      ["POST", "/v1/chat/completions", chat("m")],
      ["POST", "/v1/chat/completions", { ...chat("m"), stream: true }],
      ["POST", "/v1/completions", { model: "m", prompt: "hi" }],
      ["POST", "/v1/embeddings", { model: "m", input: "hi" }],
      ["POST", "/v1/messages/count_tokens", { model: "m", messages: [{ role: "user", content: "hi" }] }],
      ["GET", "/v1/models", undefined],
    ];
    for (const [method, path, body] of cases) {
      const response = await call(method, path, adminKey, body);
      const row = await soleRow(response);
      expect(row.keyName).not.toBeNull();
    }
  });

  test("GET /v1/models/{id}: its row names the model asked about, found or not, a credential in it redacted", async () => {
    const cases: [string, number, string][] = [
      ["m", 200, "m"],
      ["nope", 404, "nope"],
      ["elsewhere", 404, "elsewhere"],
      ["mgw_aPastedKeyThatIsLongEnough0123456789", 404, "[redacted]"],
    ];
    for (const [id, status, recorded] of cases) {
      const response = await call("GET", `/v1/models/${id}`, keys.user as string);
      expect(response.status).toBe(status);
      expect((await soleRow(response)).model).toBe(recorded);
    }
  });

  test("stored responses: get, input items, delete, compact, a missing one", async () => {
    const created = await call("POST", "/v1/responses", adminKey, { model: "m", input: "hi" });
    expect(created.status).toBe(200);
    await soleRow(created.clone());
    const { id } = (await created.json()) as { id: string };
    for (const [method, path] of [
      ["GET", `/v1/responses/${id}`],
      ["GET", `/v1/responses/${id}/input_items`],
      ["DELETE", `/v1/responses/${id}`],
      ["GET", `/v1/responses/${id}`],
      ["DELETE", "/v1/responses/resp_nothing"],
    ] as const) {
      await soleRow(await call(method, path, adminKey));
    }
    await soleRow(await call("POST", "/v1/responses/compact", adminKey, { model: "m", input: "hi" }));
  });

  test("a shadowed request: its row alone, the copy's answer in a shadow pair, not a row", async () => {
    const before = finished.length;
    const response = await call("POST", "/v1/chat/completions", adminKey, chat("shadowed"));
    expect(response.status).toBe(200);
    await soleRow(response);
    await waitForValue("the shadow pair", async () => {
      const pairs = await call("GET", "/admin/api/shadow?model=shadowed", adminKey);
      return ((await pairs.json()) as { records: unknown[] }).records.length === 1;
    });
    // The shadow reads were admin calls: rows of the admin front door, none a model call's.
    const rows = finished.slice(before).filter((record) => record.frontDoor !== "admin");
    expect(rows.map((record) => record.model)).toEqual(["shadowed"]);
  });

  test("bodies are off by default: the stored row of a served call holds neither body", async () => {
    const response = await call("POST", "/v1/chat/completions", adminKey, chat("m"));
    const id = (await soleRow(response)).requestId;
    const stored = await waitForValue("the stored row", async () => {
      const page = await call("GET", "/admin/api/audit?bodies=true&limit=100", adminKey);
      const { records } = (await page.json()) as { records: AuditRecord[] };
      return records.find((record) => record.requestId === id);
    });
    expect([stored.requestBody ?? null, stored.responseBody ?? null]).toEqual([null, null]);
  });

  test("the id the client sent is the row's", async () => {
    const response = await call("POST", "/v1/chat/completions", adminKey, chat("m"), {
      "x-request-id": "sweep-1",
    });
    expect(response.headers.get("x-request-id")).toBe("sweep-1");
    await soleRow(response);
  });
});
