import { afterEach } from "bun:test";
import type { ServerWebSocket } from "bun";
import { BATCH_KIND, decodeBatch } from "../batch-frame.ts";
import { decodeJson, type GatewayFrame, PROTOCOL_VERSION, type WorkerFrame } from "../protocol.ts";
import { runWorker } from "../worker/worker-client.ts";

/** Cleanups a test registers as it goes, run in reverse after each test of the file. */
export function cleanupsAfterEach(): (cleanup: () => Promise<void> | void) => void {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => void cleanups.push(cleanup);
}

/** What the fake gateway says it reads in its `registered` frame (an older build reads none). */
export interface GatewayReads {
  batch: boolean;
  binaryAnswers: boolean;
  announce?: boolean;
}

/** A frame from the worker: JSON text as a frame, binary ones (chunk, answer) as their bytes. */
export type ReceivedFrame = WorkerFrame | Uint8Array;

/**
 * A gateway of an older or current build, as far as a worker can tell: a real WebSocket server
 * on a loopback port that registers the worker (saying it reads what `reads` names), records
 * every message, and sends what the test gives it. `answerAfter`: each `registered` waits for it
 * (a gateway slow to answer the register).
 */
export function fakeGateway(
  reads: GatewayReads,
  cleanup: (stop: () => void) => void,
  answerAfter?: Promise<void>,
) {
  const received: (string | Uint8Array)[] = [];
  let socket: ServerWebSocket<unknown> | undefined;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, srv) => (srv.upgrade(request) ? undefined : new Response("no", { status: 400 })),
    websocket: {
      message(ws, message) {
        socket = ws;
        received.push(typeof message === "string" ? message : new Uint8Array(message));
        const first = typeof message === "string" ? (decodeJson(message) as WorkerFrame) : undefined;
        if (first?.type !== "register") return;
        const registered: GatewayFrame = {
          type: "registered",
          v: PROTOCOL_VERSION,
          workerId: "w1",
          accepted: first.models,
          refused: [],
          heartbeatMs: 60_000,
          heartbeatTimeoutMs: 180_000,
          maxMessageBytes: 1024 * 1024,
          ...(reads.batch ? { batch: true } : {}),
          ...(reads.binaryAnswers ? { binaryAnswers: true } : {}),
          ...(reads.announce ? { announce: true } : {}),
        };
        const answer = () => void ws.send(JSON.stringify(registered));
        if (answerAfter) void answerAfter.then(answer);
        else answer();
      },
    },
  });
  cleanup(() => void server.stop(true));
  /** Every frame received, in order, batches opened. */
  const frames = (): ReceivedFrame[] =>
    received.flatMap((m) => {
      if (typeof m === "string") return [decodeJson(m) as WorkerFrame];
      if (m[0] !== BATCH_KIND) return [m];
      const inner = decodeBatch(m);
      if (typeof inner === "string") throw new Error(inner);
      return inner.map((f) => (typeof f === "string" ? (decodeJson(f) as WorkerFrame) : f));
    });
  /** The JSON frames alone. */
  const control = () => frames().filter((f): f is WorkerFrame => !(f instanceof Uint8Array));
  return {
    url: `http://127.0.0.1:${server.port}`,
    /** Every message as it came: text, or bytes (a batch, a chunk, an answer frame). */
    received,
    frames,
    control,
    register: () => control().find((f) => f.type === "register"),
    send(frame: string | Uint8Array) {
      socket?.send(frame);
    },
    /** Closes the worker's latest connection, as a gateway that ends it does. */
    close(code: number, reason: string) {
      socket?.close(code, reason);
    },
  };
}

/** A real `mindgw worker` session in this process, dialling `connect`, its upstream at `upstream` (with /v1). */
export function startWorker(connect: string, upstream: string, cleanup: (stop: () => Promise<void>) => void) {
  const stop = new AbortController();
  const exit = runWorker({
    connect,
    token: "worker-key",
    upstream,
    models: ["llama-small"],
    concurrency: 8,
    name: "gpu-1",
    labels: {},
    responsesApi: false,
    log: () => {},
    handleSignals: false,
    stop: stop.signal,
    drainTimeoutMs: 1_000,
  });
  cleanup(async () => {
    stop.abort();
    await exit;
  });
}
