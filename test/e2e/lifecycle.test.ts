import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { stringify } from "yaml";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { cliAuditRows } from "./harness/audit-kit.ts";
import { configRead, serveOnFifo } from "./harness/config-fifo.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

/**
 * Issue 2, lifecycle: health and readiness, and SIGTERM. After SIGTERM the gateway takes no
 * new requests (the listener stays open until the drain ends, answering 503 — readiness
 * included — so load balancers see it leave; a late connection may find it closed), in-flight streams finish within `server.drain_timeout`, and the
 * process exits 0 either way.
 */

// One fake for the file; a gateway per test (each drain timeout differs), killed after it.
const fx = gatewayFixture({ gateway: false });
let fake: FakeUpstream;
let gw: GatewayProcess | undefined;

beforeAll(() => {
  fake = fx.fake;
});
afterEach(() => {
  gw = undefined;
  fake.reset();
});

const start = (drainTimeout: string) =>
  fx.spawn({
    config: {
      providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
      models: [{ name: "m1", routes: [{ provider: "fake", model: "m1" }] }],
      server: { drain_timeout: drainTimeout },
    },
  });

/** Starts a slow stream and returns once its first bytes reached the client. */
async function slowStream(gateway: GatewayProcess, marker: string) {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${gateway.adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: "m1",
      messages: [{ role: "user", content: `[[fake:${marker}]] a long story` }],
      stream: true,
    }),
  });
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = decoder.decode((await reader.read()).value);
  /** Reads to the end; a connection cut by the gateway ends the text where it stopped. */
  const rest = async () => {
    try {
      while (true) {
        const next = await reader.read();
        if (next.done) break;
        text += decoder.decode(next.value, { stream: true });
      }
    } catch {
      // Cut: what arrived so far is the answer.
    }
    return text;
  };
  return { rest };
}

/** A request after SIGTERM: refused at the socket, or answered 503. Never served. */
async function refusedStatus(url: string, init?: RequestInit): Promise<number | "refused"> {
  try {
    return (await fetch(url, init)).status;
  } catch {
    return "refused";
  }
}

const exitCode = (gateway: Pick<GatewayProcess, "proc">, timeoutMs: number) =>
  Promise.race([gateway.proc.exited, Bun.sleep(timeoutMs).then(() => "still running" as const)]);

describe("health", () => {
  test("/healthz and /readyz answer 200 without credentials", async () => {
    gw = await start("5s");
    const health = await fetch(`${gw.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", config: { version: 1 } });
  });
});

describe("SIGTERM", () => {
  test("refuses new requests, lets the in-flight stream finish with [DONE], exits 0", async () => {
    gw = await start("20s");
    const stream = await slowStream(gw, "chunks=20,chunk-delay=100");
    gw.proc.kill("SIGTERM");
    await waitFor("the drain to begin", () => gw?.stderr.match(/SIGTERM received/));

    // The listener stays open while draining, so readiness is seen turning 503.
    expect(await refusedStatus(`${gw.url}/readyz`)).toBe(503);
    expect([503, "refused"]).toContain(
      await refusedStatus(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "m1", messages: [{ role: "user", content: "late" }] }),
      }),
    );

    const text = await stream.rest();
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    // 20 content deltas, the final chunk and [DONE]: nothing lost to the shutdown.
    expect(text.match(/^data: /gm)?.length).toBeGreaterThanOrEqual(22);
    expect(await exitCode(gw, 20_000)).toBe(0);
    expect(fake.requests.filter((r) => r.path === "/v1/chat/completions")).toHaveLength(1);
    expect(fake.requests[0]?.outcome).toBe("completed");
  });

  test("a second SIGTERM or SIGINT while draining is ignored, a SIGHUP not applied: the stream finishes, its audit row is written, exit 0", async () => {
    gw = await start("20s");
    const stream = await slowStream(gw, "chunks=20,chunk-delay=100");
    gw.proc.kill("SIGTERM");
    await waitFor("the drain to begin", () => gw?.stderr.match(/SIGTERM received: draining/));
    // A supervisor repeating itself, an operator's second Ctrl-C: the default action would be a kill.
    gw.proc.kill("SIGTERM");
    gw.proc.kill("SIGINT");
    await waitFor("both to be seen", () => gw?.stderr.all.match(/already draining/g)?.length === 2);
    // And a reload asked now is said to be no reload, not "unchanged".
    gw.proc.kill("SIGHUP");
    await waitFor("the SIGHUP's answer", () =>
      gw?.stderr.all.includes("SIGHUP received while draining: not reloaded"),
    );
    const text = await stream.rest();
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    expect(await exitCode(gw, 20_000)).toBe(0);
    const rows = await cliAuditRows(gw.configPath);
    expect(rows.filter((row) => row.stream).map((row) => row.status)).toEqual([200]);
  });

  test("a stream that outlives server.drain_timeout ends with an error event, audited as 503; exit 0", async () => {
    gw = await start("1s");
    const stream = await slowStream(gw, "chunks=500,chunk-delay=100");
    gw.proc.kill("SIGTERM");
    const text = await stream.rest();
    expect(text).not.toContain("[DONE]");
    // Told, not reset: the stream's last event says why it ended.
    expect(text).toContain("drain deadline passed");
    expect(await exitCode(gw, 20_000)).toBe(0);
    expect(gw.stderr.all).toContain("drain deadline");
    const rows = await cliAuditRows(gw.configPath);
    expect(rows.find((row) => row.stream)?.status).toBe(503);
    // The cut reached the upstream too: its generation was abandoned, not left running.
    expect((await fake.waitForAbort(10_000)).outcome).toBe("aborted");
  });

  test("a Responses WebSocket turn refused while draining is audited with the socket's key and the turn's model", async () => {
    gw = await start("20s");
    const stream = await slowStream(gw, "chunks=20,chunk-delay=100");
    // Bun's client socket takes headers; the DOM lib's constructor type hides them.
    const ClientSocket = WebSocket as unknown as new (
      url: string,
      options: Bun.WebSocketOptions,
    ) => WebSocket;
    const socket = new ClientSocket(`${gw.url.replace("http:", "ws:")}/v1/responses`, {
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    const messages: string[] = [];
    socket.onmessage = (event) => messages.push(String(event.data));
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = reject;
    });
    gw.proc.kill("SIGTERM");
    await waitFor("the drain to begin", () => gw?.stderr.match(/SIGTERM received: draining/));
    socket.send(JSON.stringify({ type: "response.create", model: "m1", input: "late" }));
    const refused = await waitFor("the turn's refusal", () =>
      messages.find((m) => m.includes('"type":"error"')),
    );
    expect(refused).toContain("shutting down");
    socket.close();
    await stream.rest();
    expect(await exitCode(gw, 20_000)).toBe(0);

    const rows = await cliAuditRows(gw.configPath);
    const upgrade = rows.find((row) => row.frontDoor === "responses_socket");
    const turn = rows.find((row) => row.frontDoor === "responses");
    expect(upgrade?.keyName).toBeTruthy();
    expect(turn).toMatchObject({
      status: 503,
      keyName: upgrade?.keyName,
      tenant: upgrade?.tenant,
      model: "m1",
    });
  });

  test("a request refused while draining is audited with its key when the key cache knows it; an unknown key's with none", async () => {
    gw = await start("20s");
    // The stream's key is in the key cache now: it is named without a store read.
    const stream = await slowStream(gw, "chunks=20,chunk-delay=100");
    gw.proc.kill("SIGTERM");
    await waitFor("the drain to begin", () => gw?.stderr.match(/SIGTERM received: draining/));
    const adminKey = gw.adminKey ?? "";
    const unknownKey = `mgw_${"Z".repeat(43)}`;
    const refusedWith = async (path: string, headers: Record<string, string>, body: object) => {
      const response = await fetch(`${gw?.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
      return {
        status: response.status,
        id: response.headers.get("x-request-id"),
        body: await response.json(),
      };
    };
    const chat = { model: "m1", messages: [{ role: "user", content: "late" }] };
    const messages = { model: "m1", max_tokens: 10, messages: [{ role: "user", content: "late" }] };
    const known = await refusedWith("/v1/chat/completions", { authorization: `Bearer ${adminKey}` }, chat);
    const knownAnthropic = await refusedWith("/v1/messages", { "x-api-key": adminKey }, messages);
    const unknown = await refusedWith(
      "/v1/chat/completions",
      { authorization: `Bearer ${unknownKey}` },
      chat,
    );
    // A 503 each, in the caller's dialect: never a 401 for the key, never a store read to name it.
    expect(known).toMatchObject({
      status: 503,
      body: { error: { message: "the gateway is shutting down" } },
    });
    expect(knownAnthropic).toMatchObject({
      status: 503,
      body: { type: "error", error: { message: "the gateway is shutting down" } },
    });
    expect(unknown).toMatchObject({
      status: 503,
      body: { error: { message: "the gateway is shutting down" } },
    });
    await stream.rest();
    expect(await exitCode(gw, 20_000)).toBe(0);

    const rows = await cliAuditRows(gw.configPath);
    const streamed = rows.find((row) => row.stream);
    expect(streamed?.keyName).toBeTruthy();
    const rowOf = (id: string | null) => rows.find((row) => row.requestId === id);
    expect(rowOf(known.id)).toMatchObject({ status: 503, keyName: streamed?.keyName });
    expect(rowOf(knownAnthropic.id)).toMatchObject({ status: 503, keyName: streamed?.keyName });
    expect(rowOf(unknown.id)).toMatchObject({ status: 503, keyName: null });
  });

  test("a request refused while draining says when to come back, in the caller's dialect: Retry-After 5, x-should-retry true, its connection closed", async () => {
    gw = await start("20s");
    const stream = await slowStream(gw, "chunks=20,chunk-delay=100");
    gw.proc.kill("SIGTERM");
    await waitFor("the drain to begin", () => gw?.stderr.match(/SIGTERM received: draining/));
    const adminKey = gw.adminKey ?? "";
    const refused = async (path: string, headers: Record<string, string>, body: object) => {
      const response = await fetch(`${gw?.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
      return {
        status: response.status,
        retryAfter: response.headers.get("retry-after"),
        shouldRetry: response.headers.get("x-should-retry"),
        connection: response.headers.get("connection"),
        body: await response.json(),
      };
    };
    const chat = await refused(
      "/v1/chat/completions",
      { authorization: `Bearer ${adminKey}` },
      { model: "m1", messages: [{ role: "user", content: "late" }] },
    );
    const messages = await refused(
      "/v1/messages",
      { "x-api-key": adminKey },
      { model: "m1", max_tokens: 10, messages: [{ role: "user", content: "late" }] },
    );
    // Long enough for a load balancer to see /readyz turn 503 and send the retry elsewhere (the
    // shipped probe: every 5 s), short enough that the SDKs wait it out (they ignore a wait past
    // 60 s); on a connection of its own, not the kept-alive one that leads back here.
    const told = { status: 503, retryAfter: "5", shouldRetry: "true", connection: "close" };
    expect(chat).toMatchObject({
      ...told,
      body: {
        error: { type: "service_unavailable", code: "unavailable", message: "the gateway is shutting down" },
      },
    });
    expect(messages).toMatchObject({
      ...told,
      body: { type: "error", error: { type: "overloaded_error", message: "the gateway is shutting down" } },
    });
    await stream.rest();
    expect(await exitCode(gw, 20_000)).toBe(0);
  });

  test("an idle gateway exits 0 at once on SIGTERM", async () => {
    gw = await start("30s");
    gw.proc.kill("SIGTERM");
    // Far below the 30 s deadline: nothing in flight means nothing to wait for.
    expect(await exitCode(gw, 10_000)).toBe(0);
    expect(gw.stderr.all).not.toContain("drain deadline");
  });
});

// What a supervisor does right after a start: `systemctl reload` (the unit's ExecReload is
// `kill -HUP`) or `stop`, while the gateway still loads its config, opens its store or binds.
// The config file is a FIFO (config-fifo.ts): the signal comes while the gateway reads it.
describe("signals while the gateway starts", () => {
  /** `mindgw serve` started on a FIFO, not waited for; killed after the test. */
  async function startingOnFifo() {
    const dir = tempDir();
    const { path, ...gateway } = serveOnFifo(dir.path);
    fx.deferTest(async () => {
      gateway.proc.kill("SIGKILL");
      await gateway.proc.exited;
      dir.cleanup();
    });
    const hand = await configRead(path);
    const config = stringify({
      storage: { path: join(dir.path, "mindgw.db") },
      providers: [{ name: "fake", type: "openai", base_url: `${fake.url}/v1` }],
      models: [{ name: "m1", routes: [{ provider: "fake", model: "m1" }] }],
    });
    return { ...gateway, handConfig: () => hand(config) };
  }
  const BANNER = /serving on (http:\/\/\S+)/;

  test("SIGHUPs from its config read until the banner: the gateway starts, serves, and reloads once up", async () => {
    const gateway = await startingOnFifo();
    gateway.proc.kill("SIGHUP");
    gateway.handConfig();
    // More through the rest of the start (the store, the parts, the port), one every 50 ms.
    const banner = await waitFor(
      "the banner, under SIGHUPs",
      () => {
        if (gateway.proc.exitCode !== null || gateway.proc.signalCode !== null)
          throw new Error(
            `exited (${gateway.proc.signalCode ?? gateway.proc.exitCode}):\n${gateway.stderr.all}`,
          );
        gateway.proc.kill("SIGHUP");
        return gateway.stdout.match(BANNER);
      },
      30_000,
      50,
    );
    const key = gateway.stdout.match(/(mgw_[A-Za-z0-9_-]+)/)?.[1];
    const response = await fetch(`${banner[1]}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m1", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(200);
    await waitFor("the reload once up", () =>
      gateway.stderr.all.includes("SIGHUP received while starting: reloading now that the gateway is up"),
    );
    gateway.proc.kill("SIGTERM");
    expect(await exitCode(gateway, 20_000)).toBe(0);
  });

  test("SIGTERM during the start ends it: nothing listens, exit 0", async () => {
    const gateway = await startingOnFifo();
    gateway.proc.kill("SIGTERM");
    gateway.handConfig();
    expect(await exitCode(gateway, 20_000)).toBe(0);
    expect(gateway.proc.signalCode).toBeNull();
    await Promise.all([gateway.stdout.done, gateway.stderr.done]);
    expect(gateway.stdout.all).not.toMatch(BANNER);
    expect(gateway.stderr.all).toContain("SIGTERM received while starting: stopped before listening");
  });
});
