import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway, recordOf } from "../testing/recording-gateway.ts";

// The front door through app.handle(): no socket, the real pipeline, a real SQLite file.
// (Elysia finds the path by offset, so test URLs need a realistic host such as localhost.)
let dir: string;
let gateway: Gateway;
let adminKey = "";
let finished: AuditRecord[] = [];

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  gateway.handle(
    new Request(`http://localhost${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}`, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );

/**
 * A chat completion answered while `clock.now` moves on every read (from `start`, one a read),
 * with its request id and audit row: what one read stamps agrees, two reads do not.
 */
async function chatUnderMovingClock(clock: { now(): number }, start: number) {
  let now = start;
  const moving = spyOn(clock, "now").mockImplementation(() => now++);
  let response: Response;
  try {
    response = await post("/v1/chat/completions", {
      model: "mock",
      messages: [{ role: "user", content: "hi" }],
    });
  } finally {
    moving.mockRestore();
  }
  const id = response.headers.get("x-request-id") ?? "";
  const row = await recordOf(finished, response);
  return { id, row };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mindgw-front-door-"));
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    server: { max_body: "1KB" },
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
});

afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("front door", () => {
  test("answers a chat completion from the mock provider with a request id", async () => {
    const response = await post("/v1/chat/completions", {
      model: "mock",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toContain("You said: hi");
  });

  test("stamps a fresh request id with the request's own start time", async () => {
    // The id and the record agree only if one read stamps both.
    const { id, row } = await chatUnderMovingClock(Date, 1_700_000_000_000);
    // `req_` and the UUIDv7's first 48 bits: the Unix milliseconds it was made at.
    expect(Number.parseInt(id.slice(4, 16), 16)).toBe(row.startedAt);
  });

  test("times a whole answer's first byte and its end as one moment", async () => {
    // The two agree only if one read times both.
    const { row } = await chatUnderMovingClock(performance, 1_000);
    expect(row.ttfbMs).toBeGreaterThan(0);
    expect(row.latencyMs).toBe(row.ttfbMs as number);
  });

  test("maps each failure to its status in the caller's dialect", async () => {
    const cases: [string, unknown, number, string][] = [
      ["/v1/chat/completions", "{not json", 400, "invalid_json"],
      ["/v1/chat/completions", { messages: [] }, 400, "missing_model"],
      ["/v1/chat/completions", { model: "nope", messages: [] }, 404, "model_not_found"],
      [
        "/v1/chat/completions",
        { model: "mock", messages: [], pad: "x".repeat(2000) },
        413,
        "payload_too_large",
      ],
    ];
    for (const [path, body, status, code] of cases) {
      const response = await post(path, body);
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    }
  });

  test("speaks Anthropic's error shape on /v1/messages", async () => {
    const response = await post("/v1/messages", { model: "mock", messages: [] });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain("max_tokens");
  });

  test("a messages call without a turn is refused in Anthropic's words on a translated route; count_tokens still counts", async () => {
    const response = await post("/v1/messages", { model: "mock", max_tokens: 5, messages: [] });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: "messages: at least one message is required" },
    });
    const count = await post("/v1/messages/count_tokens", { model: "mock", messages: [] });
    expect(count.status).toBe(200);
    expect(await count.json()).toEqual({ input_tokens: 0 });
  });

  test("refuses a missing or wrong credential with one uniform 401", async () => {
    const missing = await gateway.handle(new Request("http://localhost/v1/models"));
    const wrong = await gateway.handle(
      new Request("http://localhost/v1/models", { headers: { "x-api-key": "mgw_wrong" } }),
    );
    expect(missing.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(await missing.json()).toEqual(await wrong.json());
  });

  test("single sign-on's steps carry no credential, yet are recorded under front door admin with their request id", async () => {
    for (const path of ["/admin/auth/oidc", "/admin/auth/callback?code=c&state=s"]) {
      // No admin_ui.oidc here: each is 404, answered and recorded as any request, not a 401.
      const response = await gateway.handle(new Request(`http://localhost${path}`));
      expect(response.status).toBe(404);
      expect(response.headers.get("x-request-id")).toMatch(/^req_/);
      expect(await recordOf(finished, response)).toMatchObject({ frontDoor: "admin", status: 404 });
    }
  });
});
