/**
 * The floor under issue 11's ratio target: the least a Bun gateway with a key check, a limit
 * counter, the usage read from the answer and an audit row (SQLite, on its own thread) can spend
 * on a non-stream request. Bun's server in front, a keep-alive HTTP/1.1 pool on `Bun.connect`
 * behind (the whole answer buffered: content-length only), nothing else: no streaming, no
 * routing, no metrics, no logs, no errors in the caller's dialect. Not a gateway: a yardstick for
 * "can a Bun gateway doing this much reach the bare proxy at all" (docs/BENCHMARKS-HISTORY.md).
 *   bun bench/floor-gateway.ts --upstream http://127.0.0.1:PORT [--port N] [--no-audit]
 * Callers send `Authorization: Bearer sk-floor`. Prints `{"port":N}` once listening; stops on
 * SIGTERM. Measure its CPU per request as for the bare proxy (wrk, /proc/PID/stat).
 */

import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Socket } from "bun";

const { values } = parseArgs({
  options: {
    upstream: { type: "string" },
    port: { type: "string", default: "0" },
    "no-audit": { type: "boolean", default: false },
  },
});
if (!values.upstream) throw new Error("--upstream URL is required");
const target = new URL(values.upstream);
const host = target.hostname;
const port = Number(target.port);

interface Answer {
  status: number;
  contentType: string;
  body: Uint8Array;
}
interface Connection {
  socket?: Socket<Connection>;
  buffered: Uint8Array;
  headEnd: number;
  length: number;
  status: number;
  contentType: string;
  waiting?: { resolve: (answer: Answer) => void; reject: (error: Error) => void };
}

const idle: Connection[] = [];
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

function append(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

function headEndOf(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++)
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) return i + 1;
  return -1;
}

function received(conn: Connection, data: Uint8Array): void {
  conn.buffered = append(conn.buffered, new Uint8Array(data));
  if (conn.headEnd < 0) {
    conn.headEnd = headEndOf(conn.buffered);
    if (conn.headEnd < 0) return;
    const lines = decoder.decode(conn.buffered.subarray(0, conn.headEnd)).split("\r\n");
    conn.status = Number(lines[0]?.slice(9, 12));
    conn.length = 0;
    conn.contentType = "application/json";
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      if (name === "content-length") conn.length = Number(line.slice(colon + 1));
      else if (name === "content-type") conn.contentType = line.slice(colon + 1).trim();
    }
  }
  if (conn.buffered.length - conn.headEnd < conn.length) return;
  const answer = {
    status: conn.status,
    contentType: conn.contentType,
    body: conn.buffered.subarray(conn.headEnd, conn.headEnd + conn.length),
  };
  const waiting = conn.waiting;
  conn.waiting = undefined;
  conn.buffered = EMPTY;
  conn.headEnd = -1;
  idle.push(conn);
  waiting?.resolve(answer);
}

async function connect(): Promise<Connection> {
  const conn: Connection = { buffered: EMPTY, headEnd: -1, length: 0, status: 0, contentType: "" };
  conn.socket = await Bun.connect<Connection>({
    hostname: host,
    port,
    data: conn,
    socket: {
      data: (socket, data) => received(socket.data, data),
      close(socket) {
        const at = idle.indexOf(socket.data);
        if (at >= 0) idle.splice(at, 1);
        socket.data.waiting?.reject(new Error("upstream closed the connection"));
      },
    },
  });
  return conn;
}

const head = `POST /v1/chat/completions HTTP/1.1\r\nhost: ${host}:${port}\r\ncontent-type: application/json\r\ncontent-length: `;
async function send(body: string): Promise<Answer> {
  const conn = idle.pop() ?? (await connect());
  return new Promise((resolve, reject) => {
    conn.waiting = { resolve, reject };
    conn.socket?.write(`${head}${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
}

const dbPath = join(tmpdir(), `mindgw-floor-${process.pid}.db`);
// Audit rows go to a thread with its own SQLite handle, in one batch per event-loop turn.
const auditThread = values["no-audit"]
  ? undefined
  : new Worker(new URL("./floor-audit-thread.ts", import.meta.url).href);
auditThread?.postMessage(dbPath);
let batch: unknown[][] = [];
function audit(row: unknown[]): void {
  if (!auditThread) return;
  if (batch.length === 0)
    setImmediate(() => {
      auditThread.postMessage(batch);
      batch = [];
    });
  batch.push(row);
}

const keys = new Map([
  [Bun.hash("Bearer sk-floor"), { id: "floor-key", used: 0, limit: Number.MAX_SAFE_INTEGER }],
]);
let sequence = 0;

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(values.port),
  async fetch(request) {
    const started = performance.now();
    const key = keys.get(Bun.hash(request.headers.get("authorization") ?? ""));
    if (!key) return Response.json({ error: "unauthorized" }, { status: 401 });
    if (++key.used > key.limit) return Response.json({ error: "rate limited" }, { status: 429 });
    const text = await request.text();
    const parsed = JSON.parse(text) as { model?: unknown };
    if (typeof parsed.model !== "string") return Response.json({ error: "model" }, { status: 400 });
    const answer = await send(text);
    const { usage } = JSON.parse(decoder.decode(answer.body)) as {
      usage?: { prompt_tokens?: number; completion_tokens?: number };
    };
    audit([
      `floor-${++sequence}`,
      key.id,
      parsed.model,
      answer.status,
      usage?.prompt_tokens ?? 0,
      usage?.completion_tokens ?? 0,
      performance.now() - started,
      Date.now(),
    ]);
    return new Response(answer.body as Uint8Array<ArrayBuffer>, {
      status: answer.status,
      headers: { "content-type": answer.contentType },
    });
  },
});
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.on("SIGTERM", () => {
  void server.stop(true).finally(() => {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${dbPath}${suffix}`, { force: true });
    process.exit(0);
  });
});
