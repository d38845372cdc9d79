/**
 * The upstream client alone: what one exchange with the burst upstream costs this process in CPU
 * (in total and on its event loop), for Bun's native `fetch`, the lean HTTP/1.1 client
 * (`src/providers/http/http1/`), the lean client's byte feed for a stream (`feed`: its `stream`,
 * no `Response`), its whole answer as bytes for a non-stream call (`whole`: its `answer`, the
 * gateway's same-dialect path), the same on a thread of its own (`threaded`, bench/lean-thread.ts:
 * a sketch, non-stream only), the gateway's client on its thread (`gateway-thread`,
 * src/providers/http/thread/: abort, bounds and errors as in the gateway), and a bare keep-alive pool on `Bun.connect` (the floor gateway's,
 * bench/floor-gateway.ts: content-length only, no `Response`). Each answer is read the way the
 * gateway reads it: whole as bytes (non-stream), or chunk by chunk from the body's reader (stream).
 *   bun bench/client-micro.ts [--calls 10000] [--concurrency 32] [--rounds 3] [--clients native,lean,feed,whole,threaded,gateway-thread,floor]
 *     [--scenario non-stream|stream]
 * Starts bench/burst-upstream.ts itself; clients alternate round by round; prints one line per
 * run and the medians: CPU µs a call, and each call's time (call to last byte) at p50, p99 and
 * p99.9 — with `--concurrency 1`, the client's own c=1 latency and its tail.
 */
import { parseArgs } from "node:util";
import type { Socket } from "bun";
import { CallCancel } from "../src/providers/http/call-cancel.ts";
import { createLeanFetch, type FetchFunction } from "../src/providers/http/http1/lean-fetch.ts";
import { nodeFetch } from "../src/providers/http/node-fetch.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "../src/providers/http/read-bounded.ts";
import { createLeanThread, type LeanThread } from "../src/providers/http/thread/lean-thread-client.ts";
import type { ThreadAnswer, ThreadCall } from "./lean-thread.ts";
import { SCENARIOS } from "./scenarios.ts";
import { spawnService } from "./service.ts";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "32" },
    rounds: { type: "string", default: "3" },
    clients: { type: "string", default: "native,lean,floor" },
    scenario: { type: "string" },
  },
});
const calls = Number(values.calls);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);

const upstream = spawnService(["bun", new URL("./burst-upstream.ts", import.meta.url).pathname]);
const port = await upstream.portLine();
const url = `http://127.0.0.1:${port}/v1/chat/completions`;
const headers = { "content-type": "application/json", authorization: "Bearer sk-upstream" };
const bodies = SCENARIOS.map((s) => JSON.stringify(s.body));

const TICKS = 100;
const statSeconds = (stat: string) => {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
};
const cpu = async () => ({
  total: statSeconds(await Bun.file(`/proc/${process.pid}/stat`).text()),
  loop: statSeconds(await Bun.file(`/proc/${process.pid}/task/${process.pid}/stat`).text()),
});

type Call = (body: string) => Promise<number>;

/** The gateway's whole read: status, content type, the declared length, then the bytes. */
async function readWhole(res: Response): Promise<number> {
  if (!res.ok) throw new Error(`status ${res.status}`);
  res.headers.get("content-type");
  res.headers.get("content-length");
  res.headers.get("content-encoding");
  return (await res.bytes()).byteLength;
}

/** The relay's read: one reader, chunk by chunk. */
async function readStream(res: Response): Promise<number> {
  if (!res.ok || !res.body) throw new Error(`status ${res.status}`);
  res.headers.get("content-type");
  const reader = res.body.getReader();
  let size = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) size += r.value.byteLength;
  return size;
}

function fetchClient(doFetch: typeof fetch, stream: boolean): Call {
  return async (body) => {
    const res = await doFetch(url, { method: "POST", headers, body, signal: new AbortController().signal });
    return stream ? readStream(res) : readWhole(res);
  };
}

// The floor gateway's pool, as bench/floor-gateway.ts has it (content-length answers only).
interface Conn {
  socket?: Socket<Conn>;
  buffered: Uint8Array;
  headEnd: number;
  length: number;
  waiting?: (size: number) => void;
}
const idle: Conn[] = [];
const EMPTY = new Uint8Array(0);
const latin1 = new TextDecoder("latin1");
function floorReceived(conn: Conn, data: Uint8Array): void {
  if (conn.buffered.length === 0) conn.buffered = new Uint8Array(data);
  else {
    const joined = new Uint8Array(conn.buffered.length + data.length);
    joined.set(conn.buffered);
    joined.set(data, conn.buffered.length);
    conn.buffered = joined;
  }
  if (conn.headEnd < 0) {
    const at = Buffer.from(conn.buffered.buffer, conn.buffered.byteOffset, conn.buffered.length).indexOf(
      "\r\n\r\n",
    );
    if (at < 0) return;
    conn.headEnd = at + 4;
    const head = latin1.decode(conn.buffered.subarray(0, at)).toLowerCase();
    const from = head.indexOf("content-length:");
    conn.length = from < 0 ? 0 : Number.parseInt(head.slice(from + 15), 10);
  }
  if (conn.buffered.length - conn.headEnd < conn.length) return;
  const size = conn.length;
  const waiting = conn.waiting;
  conn.waiting = undefined;
  conn.buffered = EMPTY;
  conn.headEnd = -1;
  idle.push(conn);
  waiting?.(size);
}
async function floorConnect(): Promise<Conn> {
  const conn: Conn = { buffered: EMPTY, headEnd: -1, length: 0 };
  conn.socket = await Bun.connect<Conn>({
    hostname: "127.0.0.1",
    port,
    data: conn,
    socket: { data: (socket, data) => floorReceived(socket.data, data) },
  });
  return conn;
}
const floorHead = `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\nauthorization: Bearer sk-upstream\r\ncontent-length: `;
const floor: Call = async (body) => {
  const conn = idle.pop() ?? (await floorConnect());
  return new Promise((resolve) => {
    conn.waiting = resolve;
    conn.socket?.write(`${floorHead}${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
};

const leanClient = createLeanFetch({ fallback: nodeFetch });
const lean = leanClient as FetchFunction as typeof fetch;

/** The relay's read of the lean client's byte feed (a stream; a whole answer as `lean` reads it). */
function feedClient(stream: boolean): Call {
  if (!stream) return fetchClient(lean, false);
  return async (body) => {
    const answer = await leanClient.stream(url, {
      method: "POST",
      headers,
      body,
      signal: new AbortController().signal,
    });
    if (answer instanceof Response) return readStream(answer);
    let size = 0;
    for (let r = await answer.body.readMany(); !r.done; r = await answer.body.readMany()) size += r.size;
    return size;
  };
}

/** The gateway's read of a same-dialect non-stream answer: `answer`, a body whole with its head as bytes. */
const whole: Call = async (body) => {
  const answer = await leanClient.answer(url, {
    method: "POST",
    headers,
    body,
    signal: new AbortController().signal,
  });
  return answer instanceof Response ? readWhole(answer) : answer.body.byteLength;
};

/**
 * The lean client on a thread of its own (bench/lean-thread.ts, a sketch): the calls of one turn
 * sent over in one message, each answered when its batch comes back. Non-stream only.
 */
function threadedClient(): Call {
  const thread = new Worker(new URL("./lean-thread.ts", import.meta.url).href);
  const waiting = new Map<number, { resolve: (size: number) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let calls: ThreadCall[] = [];
  const sendCalls = () => {
    const batch = calls;
    calls = [];
    thread.postMessage(batch);
  };
  thread.onmessage = (event: MessageEvent<ThreadAnswer[]>) => {
    for (const { id, status, body, error } of event.data) {
      const call = waiting.get(id);
      waiting.delete(id);
      if (body && status < 400) call?.resolve(body.byteLength);
      else call?.reject(new Error(error ?? `status ${status}`));
    }
  };
  return (body) =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      waiting.set(id, { resolve, reject });
      if (calls.length === 0) setImmediate(sendCalls);
      calls.push({ id, url, headers, body });
    });
}

let threaded: Call | undefined;

/** The gateway's non-stream path under load with `MINDGW_UPSTREAM_CLIENT=thread` (src/providers/http/thread/). */
let leanThread: LeanThread | undefined;
const gatewayThread: Call = async (body) => {
  leanThread ??= createLeanThread();
  // As an attempt calls it: a signal, and the same abort as a cancel hook the waiter hooks into.
  const cancel = new CallCancel();
  const init = { method: "POST", headers, body, signal: cancel.signal, cancel };
  return (await leanThread.answer(url, init, DEFAULT_MAX_UPSTREAM_BODY)).body.byteLength;
};

const clients: Record<string, (stream: boolean) => Call> = {
  native: (stream) => fetchClient(fetch, stream),
  lean: (stream) => fetchClient(lean, stream),
  feed: feedClient,
  // The gateway's non-stream path on the lean client (a stream: the feed's).
  whole: (stream) => (stream ? feedClient(true) : whole),
  // Non-stream only: a stream scenario measures nothing for it.
  threaded: () => {
    threaded ??= threadedClient();
    return threaded;
  },
  "gateway-thread": () => gatewayThread,
  floor: () => floor,
};
const chosen = (values.clients ?? "").split(",").filter((name) => name in clients);

interface Run {
  total: number;
  loop: number;
  /** Each call's time from the call to its last byte read, µs, in order. */
  times: Float64Array;
}

async function run(call: Call, body: string): Promise<Run> {
  let next = 0;
  const times = new Float64Array(calls);
  const before = await cpu();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < calls; i = next++) {
        const started = performance.now();
        await call(body);
        times[i] = (performance.now() - started) * 1000;
      }
    }),
  );
  const after = await cpu();
  return {
    total: ((after.total - before.total) * 1e6) / calls,
    loop: ((after.loop - before.loop) * 1e6) / calls,
    times,
  };
}

/** The q-quantile of a run's call times (µs). */
const quantile = (times: Float64Array, q: number) => {
  const sorted = Float64Array.from(times).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const results = new Map<
  string,
  { total: number[]; loop: number[]; p50: number[]; p99: number[]; p999: number[] }
>();
try {
  for (const [s, scenario] of SCENARIOS.entries()) {
    if (values.scenario && values.scenario !== scenario.name) continue;
    const stream = scenario.name === "stream";
    for (const name of chosen) await run(clients[name]!(stream), bodies[s]!); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 ? [...chosen].reverse() : chosen) {
        const r = await run(clients[name]!(stream), bodies[s]!);
        const key = `${scenario.name} ${name}`;
        const entry = results.get(key) ?? { total: [], loop: [], p50: [], p99: [], p999: [] };
        entry.total.push(r.total);
        entry.loop.push(r.loop);
        entry.p50.push(quantile(r.times, 0.5));
        entry.p99.push(quantile(r.times, 0.99));
        entry.p999.push(quantile(r.times, 0.999));
        results.set(key, entry);
        console.log(
          `${key}: ${r.total.toFixed(1)} µs total, ${r.loop.toFixed(1)} event loop; call time p50 ${entry.p50.at(-1)?.toFixed(0)} p99 ${entry.p99.at(-1)?.toFixed(0)} p99.9 ${entry.p999.at(-1)?.toFixed(0)} µs`,
        );
      }
    }
  }
  console.log(
    "\nmedian over the rounds: CPU µs a call (total / event loop); a call's time p50 / p99 / p99.9 µs:",
  );
  for (const [key, r] of results)
    console.log(
      `  ${key.padEnd(20)} ${median(r.total).toFixed(1)} / ${median(r.loop).toFixed(1)};  ${median(r.p50).toFixed(0)} / ${median(r.p99).toFixed(0)} / ${median(r.p999).toFixed(0)}`,
    );
} finally {
  for (const conn of idle) conn.socket?.end();
  leanThread?.close();
  await upstream.stop();
}
process.exit(0);
