import { afterAll, beforeAll, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import {
  type AuditRecord,
  type Authenticator,
  createGateway,
  type Gateway,
  GatewayError,
  type Policy,
} from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { oneMockModel } from "./testing/one-mock-model.ts";
import { recordingLogger } from "./testing/recording-logger.ts";
import { waitForValue } from "./testing/wait-for.ts";

// An embedder's authenticator or policy that refuses with a GatewayError whose status is no error
// status (a JavaScript plug-in's 0, a status read from elsewhere: NaN, 600, 200): the refusal is
// the plug-in's fault, a 500 in the caller's dialect with its audit row, where the Anthropic caller
// was answered in OpenAI's shape (the status no Response takes), a 200 read as an answer, and
// NaN's row refused by the database.

const statuses: Record<string, number> = {
  zero: 0,
  nan: Number.NaN,
  six: 600,
  ok: 200,
  redirect: 302,
  fraction: 403.5,
};

/** The plug-in whose turn it is, by the token's first word: `auth-zero`, `admit-nan`. */
const refusal = (token: string, plugin: string) => {
  const [who, status] = token.split("-");
  if (who !== plugin || status === undefined || !(status in statuses)) return;
  throw new GatewayError({
    status: statuses[status] ?? 0,
    code: "forbidden",
    message: `refused by ${token}`,
  });
};
const auth: Authenticator = async (headers) => {
  const token = headers.get("authorization")?.replace(/^Bearer /, "") ?? headers.get("x-api-key") ?? "";
  refusal(token, "auth");
  return { ...jwtCaller, name: token };
};
const policy: Policy = {
  admit: (principal) => refusal(principal.name, "admit") ?? {},
  record: () => 0,
};

const { logger, lines } = recordingLogger();
let gateway: Gateway;
let base = "";
beforeAll(async () => {
  gateway = await createGateway({ config: oneMockModel(), auth, policy, logger });
  base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});
afterAll(() => gateway.stop());

/** What an official SDK threw (or answered) for a chat call, and the request's id. */
async function asked(dialect: "openai" | "anthropic", token: string) {
  const messages = [{ role: "user" as const, content: "hi" }];
  try {
    if (dialect === "openai")
      await new OpenAI({ baseURL: `${base}/v1`, apiKey: token, maxRetries: 0 }).chat.completions.create({
        model: "mock",
        messages,
      });
    else
      await new Anthropic({ baseURL: base, apiKey: token, maxRetries: 0 }).messages.create({
        model: "mock",
        max_tokens: 8,
        messages,
      });
    return { status: 200, error: undefined, requestId: null };
  } catch (error) {
    const { status, error: body, headers } = error as { status?: number; error?: unknown; headers?: Headers };
    return { status, error: body, requestId: headers?.get("x-request-id") ?? null };
  }
}

const storedRow = (requestId: string | null) =>
  waitForValue(`the audit row of ${requestId}`, async () => {
    const entries = await gateway.storage.audit.select({ order: "asc", bodies: false }, null, 1000);
    return entries.find((entry) => entry.record.requestId === requestId)?.record;
  });

for (const plugin of ["auth", "admit"])
  for (const status of Object.keys(statuses))
    test(`${plugin === "auth" ? "an authenticator" : "an admit"} refusing with status ${statuses[status]}: a 500 internal_error in each caller's dialect, its row stored, the log saying why`, async () => {
      const token = `${plugin}-${status}`;
      const openai = await asked("openai", token);
      expect(openai.status).toBe(500);
      expect(openai.error).toMatchObject({ type: "server_error", code: "internal_error" });
      const anthropic = await asked("anthropic", token);
      expect(anthropic.status).toBe(500);
      // The SDK's `error` is the whole body: Anthropic's shape, its type Anthropic's own.
      expect(anthropic.error).toMatchObject({
        type: "error",
        error: { type: "api_error", message: "internal error" },
      });
      for (const { requestId } of [openai, anthropic]) {
        const row: AuditRecord = await storedRow(requestId);
        expect([row.status, row.errorClass]).toEqual([500, "internal_error"]);
        const logged = lines.find(
          (line) => line.message === "internal error" && line.fields?.request_id === requestId,
        );
        expect(String(logged?.fields?.error)).toContain(`refused by ${token}`);
        expect(String(logged?.fields?.error)).toContain("no error status");
      }
    });
