import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { parseConfig } from "../config/load-config.ts";
import { createLogger, LOG_FORMATS, type LogFormat } from "../log/logger.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { createGateway, type Gateway } from "./create-gateway.ts";

// SPEC: "every refused request is logged with its request id and reason (never a secret)". The
// design (docs/OBSERVABILITY.md, "The access line"): a refused request's access line, at warn,
// carries `request_id`, `status`, `error` and `reason`. Every refusal path the gateway answers
// in-process, in both formats, with a recognisable secret in each credential sent.

const dir = mkdtempSync(join(tmpdir(), "mindgw-refusal-lines-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Credentials no line may hold: each a refused request carried. */
const SECRETS = {
  unknownKey: `mgw_${"SECRETunknownKEY".repeat(3)}`,
  workerToken: `mgw_${"SECRETworkerTOKEN".repeat(3)}`,
  adminBad: `mgw_${"SECRETadminBAD".repeat(3)}`,
  cookie: "SECRETsessionCOOKIE0123456789abcdef",
  jwtLike: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTRUNSRVRqd3QifQ.SECRETjwtSIGNATURExxxxxxxxxxxxxxxx",
};

interface Refusal {
  readonly name: string;
  readonly status: number;
  readonly send: () => Promise<Response>;
}

function describeFormat(format: LogFormat) {
  describe(`log.format: ${format}`, () => {
    const written: string[] = [];
    let gateway: Gateway;
    let adminKey = "";
    let port = 0;
    const keys: Record<string, string> = {};

    const call = (path: string, token: string | undefined, init: RequestInit = {}) =>
      gateway.handle(
        new Request(`http://localhost${path}`, {
          ...init,
          headers: {
            "content-type": "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(init.headers as Record<string, string> | undefined),
          },
        }),
      );
    const post = (path: string, token: string | undefined, body: unknown) =>
      call(path, token, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });
    const chat = (model = "m") => ({ model, messages: [{ role: "user", content: "hi" }] });
    const created = async (body: object) => {
      const answer = await post("/admin/api/keys", adminKey, body);
      expect(answer.status).toBe(201);
      return (await answer.json()) as { id: string; key: string };
    };

    beforeAll(async () => {
      gateway = await createGateway({
        config: parseConfig({
          storage: { path: join(dir, `${format}.db`) },
          server: { max_body: "1KB" },
          log: { format, level: "info" },
          providers: [{ name: "demo", type: "mock" }],
          models: [
            { name: "m", routes: [{ provider: "demo", model: "m" }] },
            { name: "elsewhere", routes: [{ provider: "demo", model: "elsewhere" }] },
          ],
          tenants: [{ name: "team", rpm: 1 }, { name: "elsewhere" }],
          prices: { m: { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 } },
        }),
        logger: createLogger({ format, level: "info", write: (line) => written.push(line) }),
        onBootstrapKey: (key) => (adminKey = key),
      });
      port = gateway.listen("127.0.0.1", 0).port;
      keys.limited = (await created({ name: "limited", models: ["m"], rpm: 1 })).key;
      keys.budget = (await created({ name: "budget", budget_usd: 0.000001 })).key;
      keys.team = (await created({ name: "member", tenant: "team" })).key;
      const revoked = await created({ name: "revoked" });
      keys.revoked = revoked.key;
      expect((await post(`/admin/api/keys/${revoked.id}/revoke`, adminKey, {})).status).toBe(200);
      // The budget key spends past its budget on its first request.
      expect((await post("/v1/chat/completions", keys.budget, chat())).status).toBe(200);
    });
    let stopping: Promise<void> | undefined;
    afterAll(async () => {
      await (stopping ?? gateway.stop());
    });

    const refusals: Refusal[] = [
      { name: "401 no key", status: 401, send: () => post("/v1/chat/completions", undefined, chat()) },
      {
        name: "401 unknown key",
        status: 401,
        send: () => post("/v1/chat/completions", SECRETS.unknownKey, chat()),
      },
      {
        name: "401 revoked key",
        status: 401,
        send: () => post("/v1/chat/completions", keys.revoked, chat()),
      },
      {
        name: "401 a JWT with JWT auth off",
        status: 401,
        send: () => post("/v1/chat/completions", SECRETS.jwtLike, chat()),
      },
      {
        name: "401 messages x-api-key",
        status: 401,
        send: () =>
          call("/v1/messages", undefined, {
            method: "POST",
            headers: { "x-api-key": SECRETS.unknownKey },
            body: JSON.stringify({ ...chat(), max_tokens: 8 }),
          }),
      },
      {
        // Answered as a name that does not exist: a key cannot probe which do (docs/SECURITY.md).
        name: "404 model not allowed",
        status: 404,
        send: () => post("/v1/chat/completions", keys.limited, chat("elsewhere")),
      },
      {
        name: "404 unknown model",
        status: 404,
        send: () => post("/v1/chat/completions", adminKey, chat("no-such-model")),
      },
      { name: "404 unknown path", status: 404, send: () => call("/v1/no-such-path", adminKey) },
      {
        name: "413 body too large",
        status: 413,
        send: () =>
          post("/v1/chat/completions", adminKey, {
            ...chat(),
            messages: [{ role: "user", content: "x".repeat(4096) }],
          }),
      },
      {
        name: "400 chat",
        status: 400,
        send: () => post("/v1/chat/completions", adminKey, { model: "m" }),
      },
      { name: "400 messages", status: 400, send: () => post("/v1/messages", adminKey, { model: "m" }) },
      { name: "400 responses", status: 400, send: () => post("/v1/responses", adminKey, { input: "hi" }) },
      { name: "400 embeddings", status: 400, send: () => post("/v1/embeddings", adminKey, { model: "m" }) },
      { name: "400 not JSON", status: 400, send: () => post("/v1/chat/completions", adminKey, "{not json") },
      {
        name: "429 rpm",
        status: 429,
        send: async () => {
          await post("/v1/chat/completions", keys.limited, chat());
          return post("/v1/chat/completions", keys.limited, chat());
        },
      },
      {
        name: "429 budget exhausted",
        status: 429,
        send: () => post("/v1/chat/completions", keys.budget, chat()),
      },
      {
        name: "429 tenant rpm",
        status: 429,
        send: async () => {
          await post("/v1/chat/completions", keys.team, chat());
          return post("/v1/chat/completions", keys.team, chat());
        },
      },
      {
        name: "403 a tenant's key naming another tenant",
        status: 403,
        send: () => call("/admin/api/audit?tenant=elsewhere", keys.team),
      },
      {
        name: "worker connect, bad token",
        status: 401,
        // Over a socket: an upgrade needs a server (in-process, `handle` answers 400).
        send: () =>
          fetch(`http://127.0.0.1:${port}/workers/connect`, {
            headers: {
              authorization: `Bearer ${SECRETS.workerToken}`,
              upgrade: "websocket",
              connection: "Upgrade",
              "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
              "sec-websocket-version": "13",
            },
          }),
      },
      {
        name: "worker connect without an upgrade",
        status: 426,
        send: () => call("/workers/connect", SECRETS.workerToken),
      },
      {
        name: "Responses WebSocket upgrade, unknown key",
        status: 401,
        send: () =>
          fetch(`http://127.0.0.1:${port}/v1/responses`, {
            headers: {
              authorization: `Bearer ${SECRETS.unknownKey}`,
              upgrade: "websocket",
              connection: "Upgrade",
              "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
              "sec-websocket-version": "13",
            },
          }),
      },
      {
        name: "web UI sign-in, unknown key",
        status: 401,
        send: () => call("/admin/auth/login", SECRETS.adminBad, { method: "POST" }),
      },
      {
        name: "web UI call, forged session cookie",
        status: 401,
        send: () =>
          call("/admin/api/keys", undefined, { headers: { cookie: `mindgw_session=${SECRETS.cookie}` } }),
      },
      { name: "admin 401", status: 401, send: () => call("/admin/api/keys", SECRETS.adminBad) },
      { name: "admin 403", status: 403, send: () => call("/admin/api/keys", keys.limited) },
    ];

    for (const refusal of refusals)
      test(`${refusal.name}: one warn access line with the request id and the reason`, async () => {
        const answer = await refusal.send();
        await answer.body?.cancel();
        const id = answer.headers.get("x-request-id") ?? "";
        expect(id).not.toBe("");
        expect({ name: refusal.name, status: answer.status }).toEqual({
          name: refusal.name,
          status: refusal.status,
        });
        const line = await waitForValue(`the access line of ${refusal.name}`, () =>
          written.find((text) => text.includes(id) && /\brequest\b/.test(text)),
        );
        const fields = lineFields(format, line);
        expect({ name: refusal.name, level: fields.level, msg: fields.msg }).toEqual({
          name: refusal.name,
          level: answer.status >= 500 ? "error" : "warn",
          msg: "request",
        });
        expect(fields.request_id).toBe(id);
        expect(fields.status).toBe(String(answer.status));
        expect(String(fields.reason ?? "").length).toBeGreaterThan(0);
      });

    test("a Responses WebSocket message refused before it became a turn (not JSON): a warn access line of its own, front door responses, with its reason", async () => {
      const before = written.length;
      const socket = new WebSocket(`ws://127.0.0.1:${port}/v1/responses`, {
        headers: { authorization: `Bearer ${adminKey}` },
      });
      const refusal = await new Promise<string>((resolve, reject) => {
        socket.on("open", () => socket.send("not json at all"));
        socket.on("message", (data) => resolve(String(data)));
        socket.on("error", reject);
      });
      socket.close();
      expect(JSON.parse(refusal)).toMatchObject({ type: "error", status: 400 });
      const line = await waitForValue("the refused message's access line", () =>
        written
          .slice(before)
          .map((text) => lineFields(format, text))
          .find((fields) => fields.front_door === "responses" && fields.status === "400"),
      );
      expect(line).toMatchObject({ level: "warn", msg: "request", request_id: expect.any(String) });
      expect(String(line.reason ?? "").length).toBeGreaterThan(0);
    });

    // Last: the gateway stops here.
    test("503 while draining: one error access line with the request id and the reason", async () => {
      stopping = gateway.stop();
      await waitForValue("the drain to begin", async () => {
        const ready = await call("/readyz", undefined);
        await ready.body?.cancel();
        return ready.status === 503 || undefined;
      });
      const answer = await post("/v1/chat/completions", adminKey, chat());
      await answer.body?.cancel();
      expect(answer.status).toBe(503);
      const id = answer.headers.get("x-request-id") ?? "";
      const line = await waitForValue("the drain refusal's access line", () =>
        written.map((text) => lineFields(format, text)).find((fields) => fields.request_id === id),
      );
      expect(line).toMatchObject({ level: "error", msg: "request", status: "503" });
      expect(String(line.reason ?? "").length).toBeGreaterThan(0);
    });

    test("no line holds a credential sent, a key made, or the admin key", () => {
      const all = written.join("");
      expect(all.length).toBeGreaterThan(0);
      for (const secret of [...Object.values(SECRETS), ...Object.values(keys), adminKey]) {
        expect({ secret, found: all.includes(secret) }).toEqual({ secret, found: false });
        expect({ secret, found: all.includes(secret.slice(4)) }).toEqual({ secret, found: false });
      }
    });
  });
}

/** A line's level, message and fields as text, in either format. */
function lineFields(format: LogFormat, line: string): Record<string, string> {
  if (format === "json") {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
  }
  const [, level, msg, rest = ""] = /^\S+ (\S+) (\S+)(.*)$/.exec(line.trimEnd()) ?? [];
  const fields: Record<string, string> = { level: level ?? "", msg: msg ?? "" };
  for (const [, key, quoted, bare] of rest.matchAll(/ ([a-z_]+)=(?:("(?:[^"\\]|\\.)*")|(\S+))/g))
    fields[key ?? ""] = quoted ? (JSON.parse(quoted) as string) : (bare ?? "");
  return fields;
}

for (const format of LOG_FORMATS) describeFormat(format);
