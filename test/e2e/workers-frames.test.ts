import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { headTwice, openRawWorker, type RawWorker } from "../../src/workers/testing/raw-worker.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import {
  createKey,
  type FakeProcess,
  listWorkers,
  spawnFakeUpstream,
  spawnWorker,
  waitForWorkers,
} from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";
import { connectFleet } from "./harness/worker-fleet.ts";

// Hostile or broken frames from a hand-driven WebSocket client holding a worker key: each
// one closes only that connection, and the gateway keeps serving through a real worker.
let gw: GatewayProcess;
let adminKey: string;
let workerKey: string;
let fake: FakeProcess;
const raws: RawWorker[] = [];

const fx = gatewayFixture({
  fake: () => spawnFakeUpstream(),
  fakeRoutes: false,
  config: { workers: { max_message: "64KB" } },
});

beforeAll(async () => {
  ({ fake, gw } = fx);
  adminKey = gw.adminKey ?? "";
  ({ token: workerKey } = await connectFleet(fx, [
    { upstream: `${fake.url}/v1`, name: "real", models: ["fake-model"] },
  ]));
}, 60_000);

afterAll(async () => {
  for (const raw of raws) raw.socket.close();
});

async function raw(token = workerKey): Promise<RawWorker> {
  const opened = await openRawWorker(gw.port, token);
  raws.push(opened);
  return opened;
}

/** The real worker still answers: one bad connection never takes the gateway down. */
async function stillServing(tag: string): Promise<void> {
  const client = new OpenAI({ apiKey: adminKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const reply = await client.chat.completions.create({
    model: "fake-model",
    messages: [{ role: "user", content: `still here ${tag}` }],
  });
  expect(reply.choices[0]?.message.content).toBe(`echo: still here ${tag}`);
  expect((await listWorkers(gw.url, adminKey)).map((w) => w.name)).toContain("real");
}

describe("workers: malformed, oversized and unknown frames", () => {
  test("a frame that is not JSON closes the connection with 1008", async () => {
    const socket = await raw();
    socket.send("{ this is not json");
    expect((await socket.waitClosed()).code).toBe(1008);
    await stillServing("after garbage");
  });

  test("a frame of an unknown type closes with 1008, before and after register", async () => {
    const early = await raw();
    early.send({ type: "teleport", to: "mars" });
    expect((await early.waitClosed()).code).toBe(1008);
    const late = await raw();
    expect((await late.register(["raw-model"], "raw-unknown")).type).toBe("registered");
    late.send({ type: "teleport", to: "mars" });
    expect((await late.waitClosed()).code).toBe(1008);
    await waitForWorkers(gw.url, adminKey, ["real"]);
    await stillServing("after unknown type");
  });

  test("a malformed known frame and a binary frame before register close with 1008", async () => {
    const malformed = await raw();
    malformed.send({ type: "register", v: 1, name: "", models: "all", concurrency: -1 });
    expect((await malformed.waitClosed()).code).toBe(1008);
    const binary = await raw();
    binary.socket.send(new Uint8Array([1, 2, 3, 4]));
    expect((await binary.waitClosed()).code).toBe(1008);
    await stillServing("after malformed");
  });

  test("a frame over workers.max_message closes with 1009", async () => {
    const socket = await raw();
    expect((await socket.register(["raw-model"], "raw-big")).type).toBe("registered");
    socket.sendChunk("1", "x".repeat(100 * 1024));
    expect((await socket.waitClosed()).code).toBe(1009);
    await waitForWorkers(gw.url, adminKey, ["real"]);
    await stillServing("after oversized");
  });

  test("a frame over workers.max_message before register, where server.max_body is no larger (Bun's own limit then), closes with 1009 and a log line", async () => {
    // One message limit a server (the larger of the two): here Bun's, not the connection's, closes it.
    const small = await fx.spawn({
      config: { server: { max_body: "64KB" }, workers: { max_message: "64KB" } },
    });
    const token = await createKey(small.url, small.adminKey ?? "", { name: "small-fleet", role: "worker" });
    const socket = await openRawWorker(small.port, token);
    raws.push(socket);
    socket.send("x".repeat(100 * 1024));
    expect((await socket.waitClosed()).code).toBe(1009);
    const line = await waitFor("the gateway's line for it", () =>
      small.stderr.all.split("\n").find((l) => l.includes("worker connection closed: protocol error")),
    );
    expect(line).toContain("small-fleet");
    expect(line).toContain("frame larger than the message limit");
  });

  test("a worker whose register is past workers.max_message says so, at error, and asks again; the gateway keeps serving", async () => {
    // 300 names of 250 characters: ~76 KB of register, past this gateway's 64 KB.
    const models = Array.from(
      { length: 300 },
      (_, i) => `big-${String(i).padStart(3, "0")}-${"x".repeat(242)}`,
    );
    const worker = spawnWorker({
      gateway: gw.url,
      token: workerKey,
      upstream: `${fake.url}/v1`,
      name: "big-register",
      models,
    });
    try {
      const said = () =>
        worker.stderr.all
          .split("\n")
          .filter((line) => line.includes("closed the connection at this worker's register as too big"));
      await waitFor("the worker to say so twice (asked again)", () => said().length >= 2);
      expect(said()[0]).toMatch(
        /\berror\b.* register as too big \(1009\): 7\d{4} bytes for 300 models, past its workers\.max_message; offer fewer models or shorter names \(--models\), or raise workers\.max_message on the gateway; reconnecting/,
      );
      expect(worker.proc.exitCode).toBeNull();
      expect((await listWorkers(gw.url, adminKey)).map((w) => w.name)).toEqual(["real"]);
      await stillServing("after a register too big");
    } finally {
      await worker.stop("SIGKILL");
    }
  });

  test("a frame for a request id the worker was never given is ignored", async () => {
    const socket = await raw();
    expect((await socket.register(["raw-model"], "raw-stray")).type).toBe("registered");
    socket.send({ type: "head", id: "4242", status: 200, contentType: "text/event-stream" });
    socket.sendChunk("4242", "data: {}\n\n");
    socket.send({ type: "end", id: "987654" });
    await waitFor("the gateway to log the stray frames", () =>
      gw.stderr.all.includes("worker frame for an unknown request id ignored"),
    );
    // Still connected and registered: a heartbeat is answered, the worker stays listed.
    socket.send({ type: "heartbeat", at: Date.now() });
    expect(socket.closed).toBeUndefined();
    expect((await listWorkers(gw.url, adminKey)).map((w) => w.name)).toEqual(["raw-stray", "real"]);
    socket.socket.close(1000);
    await waitForWorkers(gw.url, adminKey, ["real"]);
    await stillServing("after stray ids");
  });

  test("frames by the thousand for ids never given write a line every few seconds, counting the rest, not a line each", async () => {
    const socket = await raw();
    expect((await socket.register(["raw-model"], "raw-flood")).type).toBe("registered");
    const strayLines = () =>
      gw.stderr.all.split("\n").filter((l) => l.includes("unknown request id") && l.includes("raw-flood"));
    for (let i = 0; i < 5000; i++) socket.sendChunk("777777", "x");
    for (let i = 0; i < 5000; i++) socket.send({ type: "end", id: "888888" });
    // Every frame sent before the ping has been handled once its pong is back.
    await socket.roundTrip();
    await waitFor("the first lines", () => strayLines().length >= 2);
    // A line per frame type every 5 s: a couple here, however slow the machine, never 10,000.
    expect(strayLines().length).toBeLessThan(50);
    expect(socket.closed).toBeUndefined();
    socket.socket.close(1000);
    await waitForWorkers(gw.url, adminKey, ["real"]);
    await stillServing("after a flood of stray ids");
  });

  test("a body or an end for a request before its head, or a second head, closes the connection 1008; the caller hears the worker was lost at once, not a timeout or an answer", async () => {
    for (const [name, early] of [
      ["raw-end-first", (socket: RawWorker, id: string) => socket.send({ type: "end", id })],
      ["raw-body-first", (socket: RawWorker, id: string) => socket.sendChunk(id, '{"id":"x"}')],
      ["raw-head-twice", headTwice],
    ] as const) {
      const socket = await raw();
      expect((await socket.register([`${name}-model`], name)).type).toBe("registered");
      const call = fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: `${name}-model`, messages: [{ role: "user", content: "hi" }] }),
      });
      early(socket, (await socket.next("request")).id);
      // Waiting out the first-byte bound (120 s) would end this test first.
      const answer = await call;
      expect(answer.status).toBe(502);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("worker_lost");
      expect((await socket.waitClosed()).code).toBe(1008);
      await waitFor("the log line", () =>
        gw.stderr.all
          .split("\n")
          .some((l) => l.includes("worker connection closed: protocol error") && l.includes(name)),
      );
    }
    await stillServing("after frames out of order");
  });

  test("an end before the head is no answer: a worker taken out of rotation is not logged back in it as its connection is closed", async () => {
    const name = "raw-ejected";
    const socket = await raw();
    expect((await socket.register([`${name}-model`], name)).type).toBe("registered");
    const ask = () =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: `${name}-model`, messages: [{ role: "user", content: "hi" }] }),
      });
    const logged = (what: string) =>
      gw.stderr.all.split("\n").some((l) => l.includes(what) && l.includes(name));
    // Its model server unreachable on every attempt (it is the model's only worker, so still picked).
    while (!logged("worker taken out of rotation")) {
      let answered = false;
      const call = ask().finally(() => {
        answered = true;
      });
      await waitFor(`${name}'s call to fail`, () => {
        for (const frame of socket.frames.splice(0))
          if (frame.type === "request")
            socket.send({ type: "error", id: frame.id, code: "upstream_unreachable", message: "refused" });
        return answered;
      });
      expect((await call).status).toBe(502);
    }
    const call = ask();
    socket.send({ type: "end", id: (await socket.next("request")).id });
    expect((await socket.waitClosed()).code).toBe(1008);
    expect(((await (await call).json()) as { error: { code: string } }).error.code).toBe("worker_lost");
    await waitFor("the log line", () => logged("worker connection closed: protocol error"));
    // Written in the same turn as the close, had the end been judged an answer first.
    expect(logged("worker back in rotation")).toBe(false);
    await stillServing("after an end before the head from a worker out of rotation");
  });

  test("an error frame in a cluster peer link's codes (worker_lost, unavailable, no_route_available) closes the connection 1008; its words never reach the caller", async () => {
    for (const code of ["worker_lost", "unavailable", "no_route_available"]) {
      const name = `raw-says-${code.replaceAll("_", "-")}`;
      const socket = await raw();
      expect((await socket.register([`${name}-model`], name)).type).toBe("registered");
      const call = fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: `${name}-model`, messages: [{ role: "user", content: "hi" }] }),
      });
      const { id } = await socket.next("request");
      socket.send({ type: "error", id, code, message: "no connected worker serves anything: call 555-0100" });
      const answer = await call;
      const body = (await answer.json()) as { error: { code: string; message: string } };
      expect(answer.status).toBe(502);
      expect(body.error.code).toBe("worker_lost");
      expect(body.error.message).not.toContain("555-0100");
      expect((await socket.waitClosed()).code).toBe(1008);
    }
    await stillServing("after peer link codes from a worker");
  });

  test("registration lists the models the key may not serve as refused", async () => {
    const narrow = await createKey(gw.url, adminKey, { name: "narrow", role: "worker", models: ["raw-*"] });
    const socket = await raw(narrow);
    const answer = await socket.register(["raw-model", "forbidden-model"], "raw-narrow");
    expect(answer).toEqual(
      expect.objectContaining({
        type: "registered",
        accepted: ["raw-model"],
        refused: [expect.objectContaining({ model: "forbidden-model" })],
      }),
    );
    const none = await raw(narrow);
    expect(await none.register(["forbidden-model"], "raw-none")).toEqual(
      expect.objectContaining({ type: "rejected", reason: "no_models" }),
    );
    expect((await none.waitClosed()).code).toBe(1008);
    socket.socket.close(1000);
    await stillServing("after refusals");
  });

  test("a user key cannot open the worker endpoint", async () => {
    const userKey = await createKey(gw.url, adminKey, { name: "app", role: "user" });
    const res = await fetch(`${gw.url}/workers/connect`, {
      headers: {
        authorization: `Bearer ${userKey}`,
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    expect(res.status).toBe(403);
  });
});
