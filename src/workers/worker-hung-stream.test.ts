import { expect, test } from "bun:test";
import { waitForValue } from "../testing/wait-for.ts";
import { workerGateway } from "../testing/worker-gateway.ts";
import { openRawWorker } from "./testing/raw-worker.ts";
import {
  answerAll,
  chat as chatOf,
  ejectedUntil as ejectedUntilOf,
  listed,
  nextRequest,
  type RequestFrame,
  whileServing,
} from "./testing/served-calls.ts";

// A worker whose model server answers a stream's headers and then nothing (200 and
// `text/event-stream`, no event: wedged after accepting the call) is as silent as one that sends
// no head: judged once the first-byte bound passed with nothing more heard from the server, to that
// call or any other. A server that streams, however slowly, keeps its share of calls. The bounds
// short enough for a test, no retries; the route's breaker is not the subject (worker-hung-server.test.ts).
// `connect` a second longer than `first_byte`: the overlapping calls' schedule is made of the two.
const gw = workerGateway({
  routing: {
    retries: 0,
    timeouts: { connect: "3s", first_byte: "2s", idle: "2s" },
    circuit_breaker: { failures: 100 },
  },
});

const chat = (stream: boolean) => chatOf(gw, stream);
const ejectedUntil = (name: string) => ejectedUntilOf(gw, name);

/** A stream's first event and no more: a model server that began its answer. */
const FIRST_EVENT = `data: ${JSON.stringify({
  id: "c1",
  object: "chat.completion.chunk",
  created: 7,
  model: "llama-small",
  choices: [{ index: 0, delta: { role: "assistant", content: "h" }, finish_reason: null }],
})}\n\n`;

const streamHead = (id: string) => ({ type: "head", id, status: 200, contentType: "text/event-stream" });

test("a worker whose model server sends stream heads and then nothing is taken out of rotation at the third, then the other worker takes every call", async () => {
  const hung = await openRawWorker(gw.port, gw.workerKey);
  const fine = await openRawWorker(gw.port, gw.workerKey);
  try {
    expect((await hung.register(["llama-small"], "heads-only")).type).toBe("registered");
    expect((await fine.register(["llama-small"], "fine")).type).toBe("registered");
    const statuses: number[] = [];
    let sentToHung = 0;
    const serve = () => {
      const request = nextRequest(hung);
      if (request) {
        sentToHung++;
        // Its headers at once, as a server that took the call: then no event at all.
        hung.send(streamHead(request.id));
      }
      answerAll(fine);
    };
    // Streams one at a time until the hung worker was sent three (the picker shares calls between
    // two idle workers: it is sent every other one).
    for (let n = 0; n < 12 && sentToHung < 3; n++) statuses.push(await whileServing(chat(true), serve));
    expect(sentToHung).toBe(3);
    expect(statuses.filter((status) => status === 504)).toHaveLength(3);
    expect(statuses.filter((status) => status !== 504).every((status) => status === 200)).toBe(true);
    expect(await ejectedUntil("heads-only")).toBeGreaterThan(Date.now());
    expect(await ejectedUntil("fine")).toBeUndefined();
    for (let n = 0; n < 4; n++) expect([n, await whileServing(chat(true), serve)]).toEqual([n, 200]);
    expect(sentToHung).toBe(3);
  } finally {
    hung.socket.close();
    fine.socket.close();
  }
}, 90_000);

test("a worker whose model server streams slowly keeps its calls: a stream that stalls after its first event, a head outwaited while the server streams another call's answer", async () => {
  const slow = await openRawWorker(gw.port, gw.workerKey);
  try {
    expect((await slow.register(["llama-small"], "slow")).type).toBe("registered");
    // Four streams that begin and then stall past the idle bound: past the three that would take
    // it out, had a stall been judged its server's silence.
    for (let n = 0; n < 4; n++) {
      const status = await whileServing(chat(true), () => {
        const request = nextRequest(slow);
        if (!request) return;
        slow.send(streamHead(request.id));
        slow.sendChunk(request.id, FIRST_EVENT);
      });
      // Committed at its first event: the idle bound's failure is the stream's error event.
      expect([n, status]).toEqual([n, 200]);
      expect([n, await ejectedUntil("slow")]).toEqual([n, undefined]);
    }
    // Four rounds of two streams: the first's head comes and no event before the first-byte bound,
    // while the server answers the second after that head. It is up, only slow for the first.
    for (let round = 0; round < 4; round++) {
      const arrived: RequestFrame[] = [];
      let answered = false;
      const outcome = await whileServing(Promise.all([chat(true), chat(true)]), () => {
        for (let request = nextRequest(slow); request; request = nextRequest(slow)) arrived.push(request);
        const [first, second] = arrived;
        if (!first || !second || answered) return;
        answered = true;
        slow.send(streamHead(first.id));
        slow.send(streamHead(second.id));
        slow.sendChunk(second.id, FIRST_EVENT);
        slow.send({ type: "end", id: second.id });
      });
      expect([round, outcome.toSorted()]).toEqual([round, [200, 504]]);
      expect([round, await ejectedUntil("slow")]).toEqual([round, undefined]);
    }
  } finally {
    slow.socket.close();
  }
}, 120_000);

test("a worker whose model server sends stream heads and then nothing is taken out of rotation under overlapping calls, each head coming while the call before waits", async () => {
  const hung = await openRawWorker(gw.port, gw.workerKey);
  const hangUp = new AbortController();
  let stopped = false;
  try {
    await waitForValue(
      "the earlier tests' workers to be gone",
      async () => (await listed(gw)).length === 0,
      30_000,
    );
    expect((await hung.register(["llama-small"], "heads-overlap")).type).toBe("registered");
    const statuses: number[] = [];
    const arrival = () => waitForValue("a request at the worker", () => nextRequest(hung), 30_000);
    const head = (request: RequestFrame) => hung.send(streamHead(request.id));
    // Each call's end (a 504 at its bound, the worker judged or not) is the next step: the heads
    // of the calls waiting for one go out, then one more call. No timer of the test's own: the
    // gateway's bounds space the calls. A call sent at t gets its head at t + 1 s (the next end)
    // and is cut at t + 3 s, so the head of the call after it comes a second before that cut.
    const send = () => {
      void chatOf(gw, true, hangUp.signal)
        .catch(() => 0)
        .then((status) => {
          if (stopped) return;
          statuses.push(status);
          for (let request = nextRequest(hung); request; request = nextRequest(hung)) head(request);
          if (statuses.length < 16) send();
        });
    };
    // The first three start the schedule: one headed at once (cut at 2 s), one never headed (cut
    // by `connect` at 3 s), one headed at the first end (at 2 s; cut at 4 s).
    send();
    head(await arrival());
    send();
    await arrival();
    send();
    const out = await waitForValue(
      "the heads-only worker taken out of rotation",
      () => ejectedUntilOf(gw, "heads-overlap"),
      60_000,
      20,
    );
    expect(out).toBeGreaterThan(Date.now());
    expect(statuses.length).toBeGreaterThanOrEqual(3);
    expect(statuses.every((status) => status === 504)).toBe(true);
  } finally {
    stopped = true;
    hangUp.abort();
    hung.socket.close();
  }
}, 120_000);
