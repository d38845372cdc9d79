import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { callAs, recordingGateway } from "../../testing/recording-gateway.ts";
import { waitForValue } from "../../testing/wait-for.ts";

// The refusals every guarded route shares, against the OpenAPI document: a request past
// `server.max_concurrent_requests` is a 503 `over_capacity`, one past `server.max_client_requests`
// from its address a 429, whatever the route; an admin API body past its bound (64 KiB) a 413.
// Each status a documented operation answers with is one the document lists for it.

const dir = mkdtempSync(join(tmpdir(), "mindgw-openapi-refusals-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Document {
  paths: Record<
    string,
    Record<string, { security?: unknown[]; requestBody?: unknown; responses: Record<string, unknown> }>
  >;
}

/** The held requests' address: the loopback the listener's clients come from too. */
const ADDRESS = "127.0.0.1";
let port = 0;

let gateway: Gateway;
let adminKey = "";
let doc: Document;
/** A key's id, for the paths that name one. */
let keyId = "";

beforeAll(async () => {
  const built = await recordingGateway(
    parseConfig({
      storage: { path: join(dir, "gw.db") },
      server: { max_concurrent_requests: 2, max_client_requests: 1, max_body: "1KB" },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
  );
  ({ gateway, adminKey } = built);
  // A WebSocket endpoint is refused as a socket's upgrade, over the listener.
  port = gateway.listen("127.0.0.1", 0).port;
  doc = (await (await gateway.handle(new Request("http://localhost/docs/openapi.json"))).json()) as Document;
  const created = await callAs(gateway, adminKey, "POST", "/admin/api/keys", { name: "named" });
  expect(created.status).toBe(201);
  keyId = ((await created.json()) as { id: string }).id;
});
afterAll(async () => {
  await gateway.stop();
});

/** Every documented operation that takes a credential, a path parameter filled with the key's id. */
const guarded = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      // A WebSocket's upgrade is refused 426 before it is guarded, without `Upgrade: websocket`.
      .filter(([, operation]) => operation.security?.length !== 0 && !operation.responses["101"])
      .map(([method, operation]) => ({
        method,
        path: path.replace(/\{\w+\}/g, keyId),
        operation,
        listed: path,
      })),
  );

/** Sends every guarded operation with the admin key (from `clientIp`); the statuses the document does not list. */
async function unlisted(clientIp: string | null, expected: number): Promise<string[]> {
  const found: string[] = [];
  for (const { method, path, operation, listed } of guarded()) {
    const answer = await gateway.handle(
      new Request(`http://localhost${path}`, {
        method: method.toUpperCase(),
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        ...(method === "post" ? { body: "{}" } : {}),
      }),
      { clientIp },
    );
    await answer.body?.cancel();
    expect([`${method} ${path}`, answer.status]).toEqual([`${method} ${path}`, expected]);
    if (!operation.responses[String(answer.status)])
      found.push(`${answer.status} ${method.toUpperCase()} ${listed}`);
  }
  return found;
}

/** Every WebSocket endpoint's upgrade (its operation lists a 101), from loopback; the statuses the document does not list. */
async function upgradesUnlisted(expected: number): Promise<string[]> {
  const found: string[] = [];
  const upgrades = Object.entries(doc.paths).flatMap(([path, methods]) =>
    methods.get?.responses["101"] ? [{ path, operation: methods.get }] : [],
  );
  expect(upgrades.length).toBe(2);
  for (const { path, operation } of upgrades) {
    const answer = await fetch(`http://127.0.0.1:${port}${path}`, {
      headers: {
        authorization: `Bearer ${adminKey}`,
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
      },
    });
    await answer.body?.cancel();
    expect([path, answer.status]).toEqual([path, expected]);
    if (!operation.responses[String(answer.status)]) found.push(`${answer.status} GET ${path}`);
  }
  return found;
}

/** A model call held in flight from `clientIp` (its body never ends) until `release` is called. */
function heldRequest(clientIp: string | null) {
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const answer = gateway.handle(
    new Request("http://localhost/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: new ReadableStream<Uint8Array>({
        start: (c) => {
          controller = c;
        },
      }),
    }),
    { clientIp },
  );
  return {
    release: async () => {
      controller?.close();
      await (await answer).body?.cancel();
    },
  };
}

test("a 429 for the address's requests in flight, and a 503 past the gateway's, are each listed by every guarded operation, a WebSocket's upgrade too", async () => {
  const held = heldRequest(ADDRESS);
  try {
    // The address holds its one request: every other from it is a 429.
    await waitForValue("the address's slot taken", async () => {
      const answer = await gateway.handle(new Request("http://localhost/v1/models"), { clientIp: ADDRESS });
      await answer.body?.cancel();
      return answer.status === 429;
    });
    expect(await unlisted(ADDRESS, 429)).toEqual([]);
    expect(await upgradesUnlisted(429)).toEqual([]);
    // A second held request fills the gateway: every request from anywhere is a 503.
    const second = heldRequest(null);
    try {
      expect(await unlisted(null, 503)).toEqual([]);
      expect(await upgradesUnlisted(503)).toEqual([]);
    } finally {
      await second.release();
    }
  } finally {
    await held.release();
  }
});

test("an admin API body past its bound (64 KiB) is a 413 its operation lists", async () => {
  const posts = guarded().filter(
    ({ method, path, operation }) =>
      method === "post" && path.startsWith("/admin/api/") && operation.requestBody,
  );
  expect(posts.length).toBeGreaterThan(2);
  const found: string[] = [];
  for (const { path, operation, listed } of posts) {
    const answer = await callAs(gateway, adminKey, "POST", path, { name: "x".repeat(65 * 1024) });
    await answer.body?.cancel();
    expect([path, answer.status]).toEqual([path, 413]);
    if (!operation.responses["413"]) found.push(`413 POST ${listed}`);
  }
  expect(found).toEqual([]);
});
