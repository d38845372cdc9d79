import { afterEach, describe, expect, test } from "bun:test";
import { waitFor } from "../testing/wait-for.ts";
import { type ClientOutcome, type ConnectionStatus, runEventClient } from "./event-client.ts";
import { resolveGateway } from "./gateway-target.ts";
import type { ReceivedEvent } from "./tail-event.ts";
import { FakeGateway } from "./testing/fake-gateway.ts";
import { finishedEvent } from "./testing/fixtures.ts";

const FAST = { initialMs: 20, maxMs: 100, jitter: 0 };
const gateways: FakeGateway[] = [];
const controllers: AbortController[] = [];

afterEach(async () => {
  for (const c of controllers.splice(0)) c.abort();
  for (const g of gateways.splice(0)) await g.stop();
});

function target(url: string) {
  const resolved = resolveGateway(url);
  if (!resolved.ok) throw new Error(resolved.error);
  return resolved.target;
}

function follow(
  url: string,
  adminKey: string,
  extra: { maxInitialAttempts?: number; idleTimeoutMs?: number } = {},
) {
  const controller = new AbortController();
  controllers.push(controller);
  const events: ReceivedEvent[] = [];
  const statuses: ConnectionStatus[] = [];
  let outcome: ClientOutcome | null = null;
  const done = runEventClient({
    target: target(url),
    adminKey,
    signal: controller.signal,
    backoff: FAST,
    onEvent: (e) => {
      events.push(e);
    },
    onStatus: (s) => statuses.push(s),
    ...extra,
  }).then((o) => {
    outcome = o;
    return o;
  });
  return { controller, events, statuses, done, outcome: () => outcome };
}

describe("runEventClient", () => {
  test("reads events, skips unknown and malformed ones, and reconnects after a restart", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const client = follow(gateway.url, gateway.adminKey);
    await waitFor("first connection", () => gateway.liveStreams === 1);
    await waitFor("live status", () => client.statuses.at(-1)?.state === "live");

    gateway.send({ type: "cache.hit", at: 1 });
    gateway.write("event: request.finished\ndata: {broken\n\n");
    gateway.send(finishedEvent({ requestId: "before" }));
    await waitFor("first event", () => client.events.length === 1);
    expect(client.events[0]?.event.type).toBe("request.finished");

    const port = gateway.port;
    await gateway.stop();
    await waitFor("reconnecting status", () => client.statuses.some((s) => s.state === "reconnecting"));
    gateway.start();
    expect(gateway.port).toBe(port);
    await waitFor("second connection", () => gateway.liveStreams === 1);
    gateway.send(finishedEvent({ requestId: "after" }));
    await waitFor("event after the restart", () => client.events.length === 2);

    expect(gateway.connections).toBe(2);
    expect(client.statuses.at(-1)?.state).toBe("live");
    client.controller.abort();
    expect(await client.done).toEqual({ kind: "stopped" });
  });

  test("a rejected key is fatal with exit code 2 and never echoes the key", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const outcome = await follow(gateway.url, "mgw_wrong_key_abcdef").done;
    expect(outcome).toEqual({
      kind: "fatal",
      exitCode: 2,
      message: `admin key rejected by ${gateway.url} (HTTP 401): check --admin-key or MINDGW_ADMIN_KEY; a revoked or expired key is refused alike`,
    });
    gateway.forceStatus = 403;
    const forbidden = await follow(gateway.url, gateway.adminKey).done;
    expect(forbidden.kind === "fatal" && forbidden.message).toContain("HTTP 403");
    expect(gateway.urlsSeen.join()).not.toContain("mgw_");
  });

  test("a --gateway with no live event stream behind it (404: an API's path, another server) is a usage error (exit 2), said as the admin commands say it", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    gateway.forceStatus = 404;
    // It said "URL has no live event stream (HTTP 404 on /admin/api/events)", exit 1.
    expect(await follow(gateway.url, gateway.adminKey).done).toEqual({
      kind: "fatal",
      exitCode: 2,
      message: `--gateway ${gateway.url} serves no /admin/api/events (HTTP 404): give the gateway's URL (with the path a proxy serves it under, if any), not an API's such as …/v1`,
    });
  });

  test("a key the gateway knows but will not let tail (403) is told why, in the gateway's words, one printable line", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    gateway.forceStatus = 403;
    gateway.forcedMessage =
      "this credential may read only as an admin\u001b[2J or as a member of a configured tenant";
    const outcome = await follow(gateway.url, gateway.adminKey).done;
    expect(outcome).toEqual({
      kind: "fatal",
      exitCode: 2,
      message: `admin key refused by ${gateway.url} (HTTP 403): this credential may read only as an admin\\u001b[2J or as a member of a configured tenant`,
    });
    gateway.forcedMessage = "x".repeat(5000);
    const long = await follow(gateway.url, gateway.adminKey).done;
    expect(long.kind === "fatal" && long.message).toBe(
      `admin key refused by ${gateway.url} (HTTP 403): ${"x".repeat(300)}…`,
    );
  });

  test("a gateway that refuses for now (503: its live event streams at their limit) is retried, each retry and the last failure saying why in its words", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    gateway.forceStatus = 503;
    gateway.forcedMessage =
      "the gateway is serving its limit of 64 live event streams at once (server.max_event_streams); try again later";
    const why = `HTTP 503: ${gateway.forcedMessage}`;
    const client = follow(gateway.url, gateway.adminKey, { maxInitialAttempts: 2 });
    expect(await client.done).toEqual({
      kind: "fatal",
      exitCode: 1,
      message: `cannot reach the gateway at ${gateway.url}: ${why} (2 attempts)`,
    });
    expect(client.statuses).toContainEqual(expect.objectContaining({ state: "reconnecting", reason: why }));
  });

  test("a gateway URL that redirects (a proxy sending http to https) is fatal with exit code 2, naming where it leads: the key never follows it", async () => {
    const gateway = new FakeGateway().start();
    const proxy = new FakeGateway().start();
    gateways.push(gateway, proxy);
    // Another origin (`localhost`, not `127.0.0.1`), as `https://` is: fetch drops the key on the way.
    const to = `http://localhost:${gateway.port}/admin/api/events?token=abc`;
    proxy.redirectTo = to;
    const outcome = await follow(proxy.url, gateway.adminKey).done;
    expect(outcome).toEqual({
      kind: "fatal",
      exitCode: 2,
      message: `${proxy.url} redirects (HTTP 302) to http://localhost:${gateway.port}/admin/api/events: give --gateway the URL it leads to`,
    });
    expect(gateway.urlsSeen).toEqual([]);
  });

  test("an unreachable gateway gives up after the bounded first attempts", async () => {
    const gateway = new FakeGateway().start();
    const url = gateway.url;
    await gateway.stop();
    const client = follow(url, "k", { maxInitialAttempts: 3 });
    const outcome = await client.done;
    expect(outcome.kind === "fatal" && outcome.exitCode).toBe(1);
    expect(outcome.kind === "fatal" && outcome.message).toContain(`cannot reach the gateway at ${url}`);
    expect(client.statuses.filter((s) => s.state === "connecting").length).toBe(3);
  });

  test("without a bound it keeps retrying until the gateway appears", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    await gateway.stop();
    const client = follow(gateway.url, gateway.adminKey);
    await waitFor("retries", () => client.statuses.filter((s) => s.state === "reconnecting").length >= 3);
    gateway.start();
    await waitFor("live after the gateway came up", () => client.statuses.at(-1)?.state === "live");
    expect(client.outcome()).toBeNull();
  });

  test("a connection that goes silent is dropped and retried", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    gateway.silent = true;
    const client = follow(gateway.url, gateway.adminKey, { idleTimeoutMs: 150 });
    await waitFor("idle reconnect", () =>
      client.statuses.some((s) => s.state === "reconnecting" && s.reason === "no data from the gateway"),
    );
    expect(gateway.connections).toBeGreaterThanOrEqual(1);
  });
});
