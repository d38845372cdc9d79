import { expect, test } from "bun:test";
import { waitForValue } from "../testing/wait-for.ts";
import { LLAMA_COMPLETION, workerGateway } from "../testing/worker-gateway.ts";
import { openRawWorker } from "./testing/raw-worker.ts";
import {
  answerAll,
  chat as chatOf,
  ejectedUntil as ejectedUntilOf,
  nextRequest,
  type RequestFrame,
  whileServing,
} from "./testing/served-calls.ts";

// A worker whose model server hangs (a vLLM wedged on its GPU: the worker connected and healthy,
// its server taking every call and answering none) is that worker's fault once the longest bound
// passed with nothing answered: counted towards taking it out of rotation, as a server that is down
// is. A worker whose server answers slowly (a whole answer outwaited while it answers others) is
// never judged so. Streams whose head came: worker-hung-stream.test.ts.
// No retries, and bounds short enough for a test: each call to a silent worker is a 504. The
// route's breaker is not these tests' subject: at its default (five failures) their 504s, one test
// after another, would open it and refuse the next test's calls.
const gw = workerGateway({
  routing: { retries: 0, timeouts: { connect: "2s", first_byte: "2s" }, circuit_breaker: { failures: 100 } },
});

const chat = (stream: boolean, signal?: AbortSignal) => chatOf(gw, stream, signal);
const ejectedUntil = (name: string) => ejectedUntilOf(gw, name);

test("a worker whose model server answers nothing: its calls time out until it is taken out of rotation, then the other worker takes them all", async () => {
  const hung = await openRawWorker(gw.port, gw.workerKey);
  const fine = await openRawWorker(gw.port, gw.workerKey);
  try {
    expect((await hung.register(["llama-small"], "hung")).type).toBe("registered");
    expect((await fine.register(["llama-small"], "fine")).type).toBe("registered");
    const statuses: number[] = [];
    let sentToHung = 0;
    // Calls one at a time, streams and whole answers in turn, until the hung worker was sent three
    // (bounded: the picker shares calls between two idle workers, so it is sent every other one).
    for (let n = 0; n < 12 && sentToHung < 3; n++) {
      statuses.push(
        await whileServing(chat(n % 4 >= 2), () => {
          // The hung server takes the call and says nothing: not even a stream's head.
          if (nextRequest(hung)) sentToHung++;
          answerAll(fine);
        }),
      );
    }
    expect(sentToHung).toBe(3);
    expect(statuses.filter((status) => status === 504)).toHaveLength(3);
    expect(statuses.filter((status) => status !== 504).every((status) => status === 200)).toBe(true);
    // Three calls it answered nothing to, in a row: taken out of rotation, as a server that is down.
    expect(await ejectedUntil("hung")).toBeGreaterThan(Date.now());
    expect(await ejectedUntil("fine")).toBeUndefined();
    for (let n = 0; n < 4; n++) {
      const status = await whileServing(chat(n % 2 === 0), () => {
        if (nextRequest(hung)) sentToHung++;
        answerAll(fine);
      });
      expect([n, status]).toEqual([n, 200]);
    }
    expect(sentToHung).toBe(3);
  } finally {
    hung.socket.close();
    fine.socket.close();
  }
}, 90_000);

test("a worker whose model server answers slowly (whole answers outwaited by the bound while it answers others) is never taken out of rotation", async () => {
  const slow = await openRawWorker(gw.port, gw.workerKey);
  try {
    expect((await slow.register(["llama-small"], "slow")).type).toBe("registered");
    // Whole answers the bound outwaits while the server answers the worker's other calls: it is
    // up, only slow for those. Sent four at once: three get nothing, the fourth is answered at
    // once (three in a row judged would take it out). A stream's are worker-hung-stream.test.ts's.
    const held: RequestFrame[] = [];
    const calls = [chat(false), chat(false), chat(false), chat(false)];
    const outcome = await whileServing(Promise.all(calls), () => {
      for (let request = nextRequest(slow); request; request = nextRequest(slow)) {
        // Its first three are held; the one after them is answered at once.
        if (held.length < 3) held.push(request);
        else {
          slow.send({ type: "head", id: request.id, status: 200, contentType: "application/json" });
          slow.sendChunk(request.id, LLAMA_COMPLETION);
          slow.send({ type: "end", id: request.id });
        }
      }
    });
    expect(outcome.toSorted()).toEqual([200, 504, 504, 504]);
    expect(held).toHaveLength(3);
    expect(await ejectedUntil("slow")).toBeUndefined();
  } finally {
    slow.socket.close();
  }
}, 60_000);

test("a worker busy with long whole answers only, every one outwaited by the bound at once, is judged once for them all, not taken out of rotation", async () => {
  const busy = await openRawWorker(gw.port, gw.workerKey);
  try {
    expect((await busy.register(["llama-small"], "busy")).type).toBe("registered");
    // Three whole answers sent together, each longer than first_byte: its server says nothing
    // meanwhile, as a hung one would, but they began together (one silence, not three in a row).
    const held: RequestFrame[] = [];
    const outcome = await whileServing(Promise.all([chat(false), chat(false), chat(false)]), () => {
      for (let request = nextRequest(busy); request; request = nextRequest(busy)) held.push(request);
    });
    expect(outcome).toEqual([504, 504, 504]);
    expect(held).toHaveLength(3);
    expect(await ejectedUntil("busy")).toBeUndefined();
  } finally {
    busy.socket.close();
  }
}, 60_000);

test("a worker whose server says nothing through three bursts of whole answers, each sent after the last was cut, is taken out of rotation at the third", async () => {
  const bursts = await openRawWorker(gw.port, gw.workerKey);
  try {
    expect((await bursts.register(["llama-small"], "bursts")).type).toBe("registered");
    // The price of counting a burst once: a server silent for three bounds in a row, each burst
    // cut by its bound, is taken out whether it hangs or is busy with answers longer than them all.
    for (let burst = 0; burst < 3; burst++) {
      let sent = 0;
      const outcome = await whileServing(Promise.all([chat(false), chat(false)]), () => {
        // Its server takes each call and says nothing.
        while (nextRequest(bursts) !== undefined) sent++;
      });
      expect([burst, outcome, sent]).toEqual([burst, [504, 504], 2]);
      const out = await ejectedUntil("bursts");
      if (burst < 2) expect([burst, out]).toEqual([burst, undefined]);
      else expect(out).toBeGreaterThan(Date.now());
    }
  } finally {
    bursts.socket.close();
  }
}, 60_000);

test("a hung worker whose other callers give up meanwhile is still taken out of rotation at its third bound in a row", async () => {
  const hung = await openRawWorker(gw.port, gw.workerKey);
  try {
    expect((await hung.register(["llama-small"], "hung-2")).type).toBe("registered");
    const statuses: number[] = [];
    // Each round: a call the bound will cut, and beside it a caller who hangs up before then. The
    // hang-up says nothing of the server; only the bound's cut is judged, three in a row.
    for (let round = 0; round < 3; round++) {
      let boundedEnded = false;
      const bounded = chat(false).finally(() => {
        boundedEnded = true;
      });
      await waitForValue("the bounded call at the worker", () => nextRequest(hung), 30_000);
      const giveUp = new AbortController();
      const abandoned = chat(false, giveUp.signal).catch(() => 0);
      const left = await waitForValue(
        `round ${round}: the abandoned call at the worker`,
        () => nextRequest(hung),
        30_000,
      );
      giveUp.abort();
      await waitForValue(
        "its cancel",
        () => hung.frames.some((f) => f.type === "cancel" && f.id === left.id),
        30_000,
      );
      // The hang-up was cut while the bounded call still waited (2 s): what the round is about.
      expect([round, boundedEnded]).toEqual([round, false]);
      await abandoned;
      statuses.push(await bounded);
    }
    expect(statuses).toEqual([504, 504, 504]);
    expect(await ejectedUntil("hung-2")).toBeGreaterThan(Date.now());
  } finally {
    hung.socket.close();
  }
}, 60_000);

// Two entries route to the workers' model, one impatient: its own tighter bound passing says the
// server was slower than that entry allows, not that it hangs (the patient entry would have waited).
const shared = workerGateway({
  routing: { retries: 0 },
  models: [
    {
      name: "quick",
      routes: [{ provider: "workers", model: "llama-small", timeouts: { connect: "1s", first_byte: "1s" } }],
    },
    {
      name: "patient",
      routes: [{ provider: "workers", model: "llama-small", timeouts: { first_byte: "10m" } }],
    },
  ],
});

test("an impatient entry's bound passing never judges the worker: an entry beside it waits longer", async () => {
  const quiet = await openRawWorker(shared.port, shared.workerKey);
  try {
    expect((await quiet.register(["llama-small"], "quiet")).type).toBe("registered");
    let sent = 0;
    for (let n = 0; n < 4; n++) {
      const response = fetch(`http://127.0.0.1:${shared.port}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${shared.adminKey}` },
        body: JSON.stringify({ model: "quick", messages: [{ role: "user", content: "hi" }] }),
      }).then((answer) => answer.status);
      const status = await whileServing(response, () => {
        if (nextRequest(quiet)) sent++;
      });
      expect([n, status]).toEqual([n, 504]);
    }
    expect(sent).toBe(4);
    const body = (await (await shared.call("GET", "/admin/api/workers")).json()) as {
      workers: { name: string; ejectedUntil?: number }[];
    };
    expect(body.workers.find((worker) => worker.name === "quiet")).toBeDefined();
    expect(body.workers.find((worker) => worker.name === "quiet")?.ejectedUntil).toBeUndefined();
  } finally {
    quiet.socket.close();
  }
}, 60_000);
