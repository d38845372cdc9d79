import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SocketAddress } from "bun";
import { type AuditRecord, createGateway, type HandleOptions, type Provider, silentLogger } from "./index.ts";
import { answering, anyone, chatRequest, configIn } from "./testing/embedder-parts.ts";
import { waitFor, waitForValue } from "./testing/wait-for.ts";

// The library form's handle(), through the exports only: a request in-process, with its client's
// address, whatever its URL's host.
const dir = mkdtempSync(join(tmpdir(), "mindgw-embed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const configFor = configIn(dir);

test("handle() takes the client's address: the per-address cap counts each client apart, and the audit row names it", async () => {
  const held: (() => void)[] = [];
  const rows: AuditRecord[] = [];
  const holding: Provider = {
    ...answering("holding"),
    async call(call) {
      await new Promise<void>((release) => held.push(release));
      return answering("holding").call(call);
    },
  };
  const embedded = await createGateway({
    config: configFor("client-ip", { server: { max_client_requests: 1 } }),
    auth: anyone,
    logger: silentLogger,
    providers: () => holding,
    events: [{ publish: (event) => void (event.type === "request.finished" && rows.push(event.record)) }],
  });
  try {
    const first = embedded.handle(chatRequest(), { clientIp: "10.0.0.2" });
    await waitFor("the first request to reach the provider", () => held.length === 1);
    const again = await embedded.handle(chatRequest(), { clientIp: "10.0.0.2" });
    expect(again.status).toBe(429);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain(
      "too many requests in flight from this address",
    );
    // Another client, and requests with no address given: none is held to 10.0.0.2's cap.
    const other = embedded.handle(chatRequest(), { clientIp: "10.0.0.3" });
    const unknown = [embedded.handle(chatRequest()), embedded.handle(chatRequest())];
    await waitFor("the other three at the provider", () => held.length === 4);
    for (const release of held) release();
    expect(await Promise.all([first, other, ...unknown].map(async (r) => (await r).status))).toEqual([
      200, 200, 200, 200,
    ]);
    await waitFor("five audit rows", () => rows.length === 5);
    expect(rows.map((row) => row.clientIp).sort()).toEqual(["10.0.0.2", "10.0.0.2", "10.0.0.3", null, null]);
  } finally {
    await embedded.stop();
  }
});

test("handle() routes a request whatever its URL's host: a short one, with a port, or none of ours", async () => {
  const embedded = await createGateway({
    config: configFor("short-hosts"),
    auth: anyone,
    logger: silentLogger,
  });
  try {
    for (const base of [
      "http://x",
      "http://gw",
      "https://ab",
      "http://x:1",
      "http://gw.internal",
      "http://[::1]:8080",
    ]) {
      const response = await embedded.handle(chatRequest(base));
      expect(`${base} ${response.status}`).toBe(`${base} 200`);
    }
    const listed = await embedded.handle(
      new Request("http://gw/v1/models?limit=5", { headers: { authorization: "Bearer t" } }),
    );
    expect(((await listed.json()) as { data: { id: string }[] }).data.map((model) => model.id)).toEqual([
      "m",
    ]);
  } finally {
    await embedded.stop();
  }
});

test("handle() given server.requestIP's whole answer takes its address, as typed; a clientIp of another kind (a number) is taken for none: each audit row is stored", async () => {
  const embedded = await createGateway({
    config: configFor("client-ip-no-text"),
    auth: anyone,
    logger: silentLogger,
    providers: () => answering("demo"),
  });
  // A Bun host of its own, handing in `server.requestIP(request)` whole: typed as taken (HandleOptions
  // said `string | null`, so a TypeScript host had to cast what the gateway reads).
  const host = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, server) => embedded.handle(request, { clientIp: server.requestIP(request) }),
  });
  try {
    const ids: string[] = [];
    const served = await fetch(chatRequest(`http://127.0.0.1:${host.port}`));
    expect(served.status).toBe(200);
    ids.push(served.headers.get("x-request-id") ?? "");
    const socketAddress: SocketAddress = { address: "10.0.0.4", family: "IPv4", port: 50000 };
    // A number is no type HandleOptions takes: what a JavaScript host may pass all the same.
    for (const clientIp of [socketAddress, 10_004]) {
      const answer = await embedded.handle(chatRequest(), { clientIp } as HandleOptions);
      expect(answer.status).toBe(200);
      ids.push(answer.headers.get("x-request-id") ?? "");
    }
    const stored = await waitForValue("the three audit rows stored", async () => {
      const entries = await embedded.storage.audit.select({ order: "asc", bodies: false }, null, 100);
      const rows = entries.filter((entry) => ids.includes(entry.record.requestId));
      return rows.length === 3 && rows;
    });
    // Before, the SocketAddress's address was lost too (null).
    expect(stored.map(({ record }) => record.clientIp)).toEqual(["127.0.0.1", "10.0.0.4", null]);
  } finally {
    host.stop(true);
    await embedded.stop();
  }
});

test("handle() given a text clientIp of any length keeps at most MAX_AUDIT_TEXT of it, as a User-Agent, in its event and its stored row", async () => {
  const events: AuditRecord[] = [];
  const embedded = await createGateway({
    config: configFor("client-ip-long"),
    auth: anyone,
    logger: silentLogger,
    providers: () => answering("demo"),
    events: [{ publish: (event) => void (event.type === "request.finished" && events.push(event.record)) }],
  });
  try {
    const answer = await embedded.handle(chatRequest(), { clientIp: `10.0.0.5 ${"x".repeat(100_000)}` });
    expect(answer.status).toBe(200);
    const id = answer.headers.get("x-request-id") ?? "";
    const stored = await waitForValue("the audit row stored", async () => {
      const entries = await embedded.storage.audit.select({ order: "asc", bodies: false }, null, 100);
      return entries.find((entry) => entry.record.requestId === id);
    });
    expect(stored.record.clientIp?.length).toBe(512);
    expect(events.find((record) => record.requestId === id)?.clientIp?.length).toBe(512);
  } finally {
    await embedded.stop();
  }
});
