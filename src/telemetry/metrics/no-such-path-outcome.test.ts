import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { recordingGateway, recordOf } from "../../testing/recording-gateway.ts";

// A 404 no API answered (a wrong base_url, an operation the server lacks) counts toward no breaker
// (core/upstream-fault.ts `path`): with a fallback route the callers are served and nothing else
// says it, so its attempts are counted apart, outcome `no_such_path`, for an alert to name the route.

/** What a vLLM (FastAPI) answers a path it has no route for, as a base_url without /v1 reaches. */
const fastApi = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: () => Response.json({ detail: "Not Found" }, { status: 404 }),
});
const dir = mkdtempSync(join(tmpdir(), "mindgw-no-such-path-"));
let gateway: Gateway;
let adminKey = "";
let finished: AuditRecord[] = [];

beforeAll(async () => {
  ({ gateway, adminKey, finished } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "gw.db") },
      providers: [
        { name: "no-v1", type: "openai", base_url: fastApi.url.href },
        { name: "demo", type: "mock" },
      ],
      models: [
        {
          name: "m",
          routes: [
            { provider: "no-v1", model: "m" },
            { provider: "demo", model: "m" },
          ],
        },
      ],
    }),
  ));
});

afterAll(async () => {
  await gateway.stop();
  fastApi.stop(true);
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

/** `mindgw_upstream_attempts_total` by provider and outcome. */
const attempts = (text: string) =>
  Object.fromEntries(
    [
      ...text.matchAll(/^mindgw_upstream_attempts_total\{provider="([^"]+)",outcome="([^"]+)"\} (\S+)$/gm),
    ].map((m) => [`${m[1]} ${m[2]}`, Number(m[3])]),
  );

test("a wrong base_url's 404, failed over to the next route: the caller served, the attempt counted as no_such_path", async () => {
  for (let i = 0; i < 2; i++) {
    const answered = await call("POST", "/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(answered.status).toBe(200);
    await answered.text();
    await recordOf(finished, answered);
  }
  const scraped = await call("GET", "/metrics");
  expect(scraped.status).toBe(200);
  expect(attempts(await scraped.text())).toEqual({ "no-v1 no_such_path": 2, "demo ok": 2 });
});
