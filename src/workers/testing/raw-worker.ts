import { decodeBatch } from "../batch-frame.ts";
import { encodeChunk } from "../chunk-frame.ts";
import { decodeJson, type GatewayFrame, PROTOCOL_VERSION } from "../protocol.ts";
import { decodeRequestFrame, REQUEST_KIND } from "../request-frame.ts";
import { waitFor } from "./tunnel-harness.ts";

const BunWebSocket = WebSocket as unknown as new (url: string, options: Bun.WebSocketOptions) => WebSocket;

/** A hand-driven worker connection, for frames the real client would never send. */
export interface RawWorker {
  socket: WebSocket;
  frames: GatewayFrame[];
  /**
   * Binary messages from the gateway (batches, to a worker that announced `batch`; request frames,
   * to one that announced `binaryRequests`), as received.
   */
  binary: Uint8Array[];
  closed: { code: number; reason: string } | undefined;
  send(value: unknown): void;
  /** A body chunk as a binary frame (protocol v2). */
  sendChunk(id: string, text: string): void;
  next<T extends GatewayFrame["type"]>(type: T): Promise<Extract<GatewayFrame, { type: T }>>;
  register(
    models?: string[],
    name?: string,
    /** More register fields (`batch: true`, `bodyText: true`). */
    extra?: Record<string, unknown>,
  ): Promise<Extract<GatewayFrame, { type: "registered" | "rejected" }>>;
  waitClosed(): Promise<{ code: number; reason: string }>;
  /**
   * A WebSocket ping answered by the gateway's pong. Frames on one connection are handled in
   * order, so when the pong arrives every frame sent before the ping has been processed.
   */
  roundTrip(): Promise<void>;
}

export async function openRawWorker(port: number, token = "worker-key"): Promise<RawWorker> {
  const socket = new BunWebSocket(`ws://127.0.0.1:${port}/workers/connect`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const raw: RawWorker = {
    socket,
    frames: [],
    binary: [],
    closed: undefined,
    send: (value) => {
      if (typeof value === "string") socket.send(value);
      else if (value instanceof Uint8Array) socket.send(new Uint8Array(value));
      else socket.send(JSON.stringify(value));
    },
    sendChunk: (id, text) => socket.send(encodeChunk(Number(id), new TextEncoder().encode(text))),
    async next(type) {
      let found: GatewayFrame | undefined;
      await waitFor(`a ${type} frame`, () => {
        const index = raw.frames.findIndex((f) => f.type === type);
        if (index === -1) return false;
        found = raw.frames.splice(index, 1)[0];
        return true;
      });
      return found as Extract<GatewayFrame, { type: typeof type }>;
    },
    async register(models = ["llama-small"], name = "raw", extra = {}) {
      raw.send({
        type: "register",
        v: PROTOCOL_VERSION,
        name,
        version: "test",
        models,
        concurrency: 8,
        labels: {},
        ...extra,
      });
      await waitFor("registration", () =>
        raw.frames.some((f) => f.type === "registered" || f.type === "rejected"),
      );
      const index = raw.frames.findIndex((f) => f.type === "registered" || f.type === "rejected");
      return raw.frames.splice(index, 1)[0] as Extract<GatewayFrame, { type: "registered" | "rejected" }>;
    },
    async roundTrip() {
      let ponged = false;
      socket.addEventListener("pong", () => (ponged = true), { once: true });
      (socket as unknown as { ping(data?: string): void }).ping("round-trip");
      await waitFor("the gateway's pong", () => ponged);
    },
    async waitClosed() {
      await waitFor("the socket to close", () => raw.closed !== undefined);
      return raw.closed ?? { code: 0, reason: "" };
    },
  };
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => {
    if (typeof event.data === "string") {
      raw.frames.push(decodeJson(event.data) as GatewayFrame);
      return;
    }
    // A batch: its frames are read like text frames, and the message kept to be looked at. A
    // binary request frame is read as the JSON frame it stands for, its body as `bodyText`.
    const bytes = new Uint8Array(event.data as ArrayBuffer);
    raw.binary.push(bytes);
    const frames = bytes[0] === REQUEST_KIND ? [bytes] : decodeBatch(bytes);
    if (typeof frames === "string") throw new Error(`the gateway sent a bad batch: ${frames}`);
    for (const frame of frames) {
      if (typeof frame === "string") raw.frames.push(decodeJson(frame) as GatewayFrame);
      const read = typeof frame !== "string" ? decodeRequestFrame(frame) : undefined;
      if (read === undefined || typeof read === "string") continue;
      raw.frames.push({ ...read.request, bodyText: new TextDecoder().decode(read.body) });
    }
  };
  socket.onclose = (event) => {
    raw.closed = { code: event.code, reason: event.reason };
  };
  await waitFor("the socket to open", () => socket.readyState !== WebSocket.CONNECTING);
  return raw;
}

/**
 * A whole answer to request `id` with its head sent twice (a broken worker implementation): the
 * second head is out of order, as a body before the first would be.
 */
export function headTwice(socket: RawWorker, id: string): void {
  const head = { type: "head", id, status: 200, contentType: "application/json" };
  socket.send(head);
  socket.send(head);
  socket.sendChunk(
    id,
    JSON.stringify({
      id: "c1",
      object: "chat.completion",
      created: 7,
      model: "m",
      choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
    }),
  );
  socket.send({ type: "end", id });
}
