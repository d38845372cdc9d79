import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway, recordOf } from "../testing/recording-gateway.ts";

// A request under an app's path that no route answers (an SDK's baseURL missing its `/v1`, a
// method the path does not take, a preflight) is the app's: its row and its events name the app,
// so `?app=`, `audit query --app` and `tail --app` show an app's misrouted clients too.

const dir = mkdtempSync(join(tmpdir(), "mindgw-app-unrouted-"));
let gateway: Gateway;
let finished: AuditRecord[];

beforeAll(async () => {
  ({ gateway, finished } = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "gw.db") },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      apps: [
        { name: "oa", frontdoor: "openai", path: "/oa" },
        { name: "an", frontdoor: "anthropic", path: "/team/an" },
      ],
    }),
  ));
});
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const send = (method: string, path: string) =>
  gateway.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(method === "POST" ? { body: "{}" } : {}),
    }),
  );

test("a path under an app that no route answers is recorded as the app's; at the root and on the gateway's own paths, no app's", async () => {
  const cases: [string, string, number, string | undefined][] = [
    ["POST", "/oa/chat/completions", 404, "oa"],
    ["GET", "/oa/v1/chat/completions", 405, "oa"],
    ["OPTIONS", "/oa/v1/chat/completions", 204, "oa"],
    ["POST", "/team/an/messages", 404, "an"],
    ["POST", "/v1/chat/completions", 404, undefined],
    ["GET", "/admin/api/nope", 404, undefined],
  ];
  const seen = [];
  for (const [method, path, status] of cases) {
    const res = await send(method, path);
    expect(res.status).toBe(status);
    seen.push([method, path, status, (await recordOf(finished, res)).app ?? undefined]);
  }
  expect(seen).toEqual(cases);
});
