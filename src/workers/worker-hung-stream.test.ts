import { expect, test } from "bun:test";
import { waitForValue } from "../testing/wait-for.ts";
import { workerGateway } from "../testing/worker-gateway.ts";
import { openRawWorker } from "./testing/raw-worker.ts";
import {
  answerAll,
  chat as chatOf,
  ejectedUntil as ejectedUntilOf,
  nextRequest,
  type RequestFrame,
  whileServing,
} from "./testing/served-calls.ts";

// A worker whose model server answers a stream's headers and then nothing (200 and
// `text/event-stream`, no event: wedged after accepting the call) is as silent as one that sends
// no head: judged once the first-byte bound passed with nothing more heard from the server, to that
// call or any other. A server that streams, however slowly, keeps its share of calls. The bounds
// short enough for a test, no retries; the route's breaker is not the subject (worker-hung-server.test.ts).
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

// Two entries to the workers' model: "patient" sets the longest first-byte bound, the one a hung
// server is judged by; "quick" a tighter one, whose cut is never judged, and a connect bound no
// head waits out, so a quick call is cut only after its head came.
const overlapping = workerGateway({
  routing: { retries: 0, circuit_breaker: { failures: 100 } },
  models: [
    {
      name: "patient",
      routes: [{ provider: "workers", model: "llama-small", timeouts: { first_byte: "3s" } }],
    },
    {
      name: "quick",
      routes: [{ provider: "workers", model: "llama-small", timeouts: { connect: "10m", first_byte: "1s" } }],
    },
  ],
});

test("a worker whose model server sends stream heads and then nothing is taken out of rotation under overlapping calls, another call's head coming while each one waits", async () => {
  const hung = await openRawWorker(overlapping.port, overlapping.workerKey);
  try {
    expect((await hung.register(["llama-small"], "heads-overlap")).type).toBe("registered");
    const arrival = () => waitForValue("a request at the worker", () => nextRequest(hung), 30_000);
    const cancelOf = (request: RequestFrame) =>
      hung.frames.findIndex((frame) => frame.type === "cancel" && frame.id === request.id);
    for (let round = 0; round < 3; round++) {
      // A patient call, its head sent as the server takes it; then a quick call beside it, headed
      // in turn: the worker's frames are read in order, so that head comes after the patient one's.
      const patient = chatOf(overlapping, true, undefined, "patient");
      const held = await arrival();
      hung.send(streamHead(held.id));
      const quick = chatOf(overlapping, true, undefined, "quick");
      const beside = await arrival();
      hung.send(streamHead(beside.id));
      expect([round, await quick, await patient]).toEqual([round, 504, 504]);
      await waitForValue(
        "both cancels at the worker",
        () => cancelOf(held) !== -1 && cancelOf(beside) !== -1,
      );
      // The quick call was cut a second after its head, the patient one three after its own: the
      // quick one first says its head came before the patient call was cut, so the patient call
      // was cut with another call's head come since it was sent (what hid it before this release).
      expect([round, cancelOf(beside) < cancelOf(held)]).toEqual([round, true]);
      const out = await ejectedUntilOf(overlapping, "heads-overlap");
      if (round < 2) expect([round, out]).toEqual([round, undefined]);
      else expect(out ?? 0).toBeGreaterThan(Date.now());
    }
  } finally {
    hung.socket.close();
  }
}, 120_000);
