import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { recordingGateway, recordOf } from "../../testing/recording-gateway.ts";

// An embedding generates no tokens: gen_ai_client_token_usage has its input tokens alone, as the
// GenAI conventions' embeddings span has (embeddings-usage.test.ts), where each embeddings call
// was also an observation of 0 output tokens, in the `le="1"` bucket of every output quantile.

const dir = mkdtempSync(join(tmpdir(), "mindgw-embeddings-tokens-"));
let gateway: Gateway;
let adminKey = "";
let finished: AuditRecord[] = [];

beforeAll(async () => {
  ({ gateway, adminKey, finished } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "gw.db") },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
  ));
});

afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const call = (method: string, path: string, body?: object) =>
  gateway.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }),
  );

/** `gen_ai_client_token_usage_count` by front door and token type. */
const tokenCounts = (text: string) =>
  Object.fromEntries(
    [
      ...text.matchAll(
        /^gen_ai_client_token_usage_count\{front_door="([^"]+)",model="m",gen_ai_token_type="([^"]+)"\} (\S+)$/gm,
      ),
    ].map((m) => [`${m[1]} ${m[2]}`, Number(m[3])]),
  );

test("an embeddings call counts its input tokens alone; a chat call its input and output", async () => {
  const chat = { model: "m", messages: [{ role: "user", content: "hello" }] };
  for (const [path, body] of [
    ["/v1/embeddings", { model: "m", input: "three words here" }],
    ["/v1/chat/completions", chat],
  ] as const) {
    const answered = await call("POST", path, body);
    expect(answered.status).toBe(200);
    await answered.text();
    // Counted as the request ends, once its answer is written.
    expect((await recordOf(finished, answered)).inputTokens).toBeGreaterThan(0);
  }
  const scraped = await call("GET", "/metrics");
  expect(scraped.status).toBe(200);
  const text = await scraped.text();
  expect(tokenCounts(text)).toEqual({
    "embeddings input": 1,
    "chat input": 1,
    "chat output": 1,
  });
});
