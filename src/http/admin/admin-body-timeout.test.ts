import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { recordingGateway, recordOf } from "../../testing/recording-gateway.ts";

// The admin API's request bodies are bound by `server.body_timeout`, as every other body is: a
// body that starts and never ends is a 408 in the admin API's error shape once it passes.

const dir = mkdtempSync(join(tmpdir(), "mindgw-admin-body-timeout-"));
let gateway: Gateway;
let adminKey = "";
let finished: AuditRecord[] = [];

beforeAll(async () => {
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    server: { body_timeout: "100ms" },
    storage: { path: join(dir, "gw.db") },
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
});
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A body that starts and never ends. */
const trickle = () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"name":'));
    },
  });

test.each(["/admin/api/keys", "/admin/api/keys/nobody/limits", "/admin/api/keys/nobody/rotate"])(
  "POST %s with a body that never ends: 408 after server.body_timeout, in the admin API's error shape",
  async (path) => {
    const response = await gateway.handle(
      new Request(`http://localhost${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
        body: trickle(),
      }),
    );
    expect(response.status).toBe(408);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toEqual({
      error: {
        message: "request body not received within 100 ms",
        type: "invalid_request_error",
        param: null,
        code: "invalid_request",
      },
    });
    expect((await recordOf(finished, response)).status).toBe(408);
  },
);
