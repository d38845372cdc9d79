import { afterEach, describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import { waitFor } from "../testing/wait-for.ts";
import { runTail, type TailOptions } from "./run-tail.ts";
import { FakeGateway } from "./testing/fake-gateway.ts";
import { finishedEvent, worker } from "./testing/fixtures.ts";
import { textSink } from "./testing/text-sink.ts";

const FAST = { initialMs: 20, maxMs: 50, jitter: 0 };
const gateways: FakeGateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
});

function start(over: Partial<TailOptions>) {
  const stdout = textSink();
  const stderr = textSink();
  const controller = new AbortController();
  const exit = runTail({
    gateway: "http://127.0.0.1:1",
    adminKey: "mgw_admin_secret_value",
    json: true,
    stdout: stdout.stream,
    stderr: stderr.stream,
    signal: controller.signal,
    backoff: FAST,
    ...over,
  });
  return { stdout, stderr, controller, exit };
}

describe("runTail --json", () => {
  test("prints one NDJSON line per selected event, as the gateway sent it", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const tail = start({ gateway: gateway.url, adminKey: gateway.adminKey, model: "gpt-*", status: "5xx" });
    await waitFor("connection", () => gateway.liveStreams === 1);
    gateway.send(finishedEvent({ requestId: "ok", status: 200 }));
    gateway.send(finishedEvent({ requestId: "other-model", model: "llama", status: 502 }));
    gateway.send({ type: "worker.connected", at: 1, worker: worker() });
    gateway.send({ ...finishedEvent({ requestId: "match", status: 503 }), extra: "kept" });
    gateway.send(finishedEvent({ requestId: "match-2", model: "gpt-4o-mini", status: 500 }));
    await waitFor("two lines", () => tail.stdout.lines().length === 2);
    tail.controller.abort();
    expect(await tail.exit).toBe(0);
    const lines = tail.stdout.lines().map((l) => JSON.parse(l));
    expect(lines.map((l) => l.record.requestId)).toEqual(["match", "match-2"]);
    expect(lines[0].extra).toBe("kept");
    expect(tail.stderr.text()).toBe("");
  });

  test("a gap in the stream (events.missed) is printed whatever the filter, as the view's footer counts it: the lost events may have been the ones filtered for", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const tail = start({ gateway: gateway.url, adminKey: gateway.adminKey, status: "5xx" });
    await waitFor("connection", () => gateway.liveStreams === 1);
    gateway.send(finishedEvent({ requestId: "ok", status: 200 }));
    gateway.send({ type: "events.missed", at: 2, count: 7 });
    gateway.send(finishedEvent({ requestId: "failed", status: 503 }));
    await waitFor("the 503's line", () => tail.stdout.text().includes('"failed"'));
    tail.controller.abort();
    expect(await tail.exit).toBe(0);
    const lines = tail.stdout.lines().map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(["events.missed", "request.finished"]);
    expect(lines[0].count).toBe(7);
  });

  test("a reader of its output that falls behind (`| slow`) holds the tail's reading, so the gateway's bounded buffer, not the tail's memory, takes the burst; every line comes once it reads", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    // A pipe whose reader has stopped: each write waits until `release`.
    const held: (() => void)[] = [];
    let written = "";
    const stdout = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString("utf8");
        held.push(done);
      },
    });
    const release = () => {
      for (const done of held.splice(0)) done();
    };
    const tail = start({ gateway: gateway.url, adminKey: gateway.adminKey, stdout });
    await waitFor("connection", () => gateway.liveStreams === 1);
    // Large events until they pile up at the gateway: the tail no longer takes them.
    let sent = 0;
    await waitFor(
      "events piling up at the gateway",
      () => {
        gateway.send({ ...finishedEvent({ requestId: `r${sent++}` }), pad: "x".repeat(64 * 1024) });
        return gateway.backlog >= 20;
      },
      20_000,
    );
    expect(written.split("\n").filter(Boolean).length).toBeLessThan(sent);
    // The reader reads again.
    await waitFor(
      "every line written",
      () => {
        release();
        return written.split("\n").filter(Boolean).length === sent;
      },
      20_000,
    );
    tail.controller.abort();
    expect(await tail.exit).toBe(0);
  }, 60_000);

  test("without filters every event passes, and a restart is reported on stderr", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const tail = start({ gateway: gateway.url, adminKey: gateway.adminKey });
    await waitFor("connection", () => gateway.liveStreams === 1);
    gateway.send({ type: "config.reloaded", at: 1, version: 2 });
    await waitFor("config line", () => tail.stdout.lines().length === 1);
    await gateway.stop();
    gateway.start();
    await waitFor("reconnection", () => gateway.liveStreams === 1);
    gateway.send({ type: "events.missed", at: 2, count: 5 });
    await waitFor("line after the restart", () => tail.stdout.lines().length === 2);
    tail.controller.abort();
    expect(await tail.exit).toBe(0);
    expect(tail.stderr.text()).toContain("reconnecting in");
    expect(tail.stderr.text()).toContain(`reconnected to ${gateway.url}`);
  });

  test("an outage of many reconnect attempts is one line when the stream drops and one when it is back, not a line per attempt", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    let attempts = 0;
    const counting = ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      attempts++;
      return fetch(input, init);
    }) as typeof fetch;
    const tail = start({ gateway: gateway.url, adminKey: gateway.adminKey, fetch: counting });
    await waitFor("connection", () => gateway.liveStreams === 1);
    await gateway.stop();
    const before = attempts;
    await waitFor("three attempts refused while it is down", () => attempts >= before + 3, 20_000);
    gateway.start();
    await waitFor("reconnection", () => tail.stderr.text().includes(`reconnected to ${gateway.url}`), 20_000);
    tail.controller.abort();
    expect(await tail.exit).toBe(0);
    const lines = tail.stderr.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("reconnecting in");
    expect(lines[1]).toBe(`mindgw tail: reconnected to ${gateway.url}`);
  });

  test("a wrong admin key: exit 2, one line, no key", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const tail = start({ gateway: gateway.url, adminKey: "mgw_wrong_secret" });
    expect(await tail.exit).toBe(2);
    expect(tail.stderr.lines()).toEqual([
      `mindgw tail: admin key rejected by ${gateway.url} (HTTP 401): check --admin-key or MINDGW_ADMIN_KEY; a revoked or expired key is refused alike`,
    ]);
    expect(tail.stderr.text()).not.toContain("mgw_wrong_secret");
  });

  test("an unreachable gateway: exit 1 after the bounded attempts", async () => {
    const gateway = new FakeGateway().start();
    await gateway.stop();
    const tail = start({ gateway: gateway.url, maxInitialAttempts: 2 });
    expect(await tail.exit).toBe(1);
    expect(tail.stderr.lines()).toHaveLength(1);
    expect(tail.stderr.text()).toContain(`cannot reach the gateway at ${gateway.url}`);
  });

  test("usage errors exit 2 before any connection", async () => {
    for (const over of [
      { gateway: "ftp://x" },
      { gateway: "http://" },
      { adminKey: "" },
      { status: "6xx" },
    ]) {
      const tail = start(over);
      expect(await tail.exit).toBe(2);
      expect(tail.stderr.lines()).toHaveLength(1);
      expect(tail.stderr.text()).not.toContain("mgw_admin_secret_value");
    }
  });

  test("a gateway URL with a query or fragment is a usage error, as the other commands' --gateway: exit 2 before any connection, the query not echoed", async () => {
    for (const gateway of [
      "http://127.0.0.1:1/?token=s3cret",
      "127.0.0.1:1#s3cret",
      "http://127.0.0.1:1/mgw?",
    ]) {
      const tail = start({ gateway });
      expect(await tail.exit).toBe(2);
      expect(tail.stderr.lines()).toHaveLength(1);
      expect(tail.stderr.text()).toContain("query or fragment");
      expect(tail.stderr.text()).not.toContain("s3cret");
    }
  });

  test("a usage error is shown as written, whatever the admin key: only a key that could be a secret is taken out", async () => {
    const tail = start({ adminKey: "x", status: "7xx" });
    expect(await tail.exit).toBe(2);
    expect(tail.stderr.lines()).toEqual(['mindgw: --status: "7xx": use a class like 4xx or a code like 429']);
  });

  test("a refusal in the gateway's words that quotes the admin key does not show it", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    gateway.forceStatus = 403;
    gateway.forcedMessage = `key ${gateway.adminKey} may not tail`;
    const tail = start({ gateway: gateway.url, adminKey: gateway.adminKey });
    expect(await tail.exit).toBe(2);
    expect(tail.stderr.lines()).toEqual([
      `mindgw tail: admin key refused by ${gateway.url} (HTTP 403): key [redacted] may not tail`,
    ]);
  });

  test("stdout that is not a terminal gets NDJSON even without --json", async () => {
    const gateway = new FakeGateway().start();
    gateways.push(gateway);
    const tail = start({ gateway: gateway.url, adminKey: gateway.adminKey, json: false });
    await waitFor("connection", () => gateway.liveStreams === 1);
    gateway.send(finishedEvent({}));
    await waitFor("one line", () => tail.stdout.lines().length === 1);
    tail.controller.abort();
    expect(await tail.exit).toBe(0);
  });
});
