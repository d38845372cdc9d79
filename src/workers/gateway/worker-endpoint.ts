import { Elysia } from "elysia";
import type { KeySessions } from "../../auth/key-sessions.ts";
import { FrameWriter } from "../frame-writer.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../protocol.ts";
import { receiveDirectly } from "../receive-directly.ts";
import type { WorkerLog } from "../worker-log.ts";
import { type Admission, type AdmitOptions, admitWorker, type WorkerIdentity } from "./admit-worker.ts";
import { createWorkerConnection, type WorkerConnection } from "./worker-connection.ts";
import type { WorkerRegistry } from "./worker-registry.ts";

/** What the worker endpoint needs from the gateway. */
export interface WorkerEndpointDeps {
  registry: WorkerRegistry;
  /**
   * Who may connect, read once per upgrade: the authenticator that resolves the Authorization
   * header to a key, and the browser origins allowed (default none: workers send no Origin). The
   * gateway passes the config version current at the upgrade (`RuntimeSnapshot.workerAdmission`).
   */
  admission: () => AdmitOptions;
  log: WorkerLog;
  /** Must equal the server's `maxPayloadLength` (see workerWebSocketConfig). */
  maxMessageBytes?: number;
  /** Per-stream credit window in bytes. */
  window?: number;
  /** Live sessions per key: a revoke or expiry of the worker's key closes its connection. */
  sessions?: KeySessions;
}

/**
 * Server-wide WebSocket settings for the app that mounts the endpoint. Bun applies them per
 * server, not per route, so the app must pass them: `new Elysia({ websocket: ... })`.
 */
export function workerWebSocketConfig(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
  return {
    maxPayloadLength: maxMessageBytes,
    perMessageDeflate: false,
    // The tunnel has its own heartbeats; Bun's idle pings stay as a backstop.
    idleTimeout: 120,
    backpressureLimit: 64 * 1024 * 1024,
    closeOnBackpressureLimit: true,
  } as const;
}

function rejection(admission: Extract<Admission, { ok: false }>): Response {
  const { status, code, message } = admission.error;
  const type =
    status === 401 ? "authentication_error" : status === 403 ? "permission_error" : "invalid_request_error";
  return Response.json({ error: { message, type, param: null, code } }, { status });
}

/** `GET /workers/connect`: the WebSocket that workers dial out to. */
export function workerEndpoint(deps: WorkerEndpointDeps) {
  const maxMessageBytes = deps.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  // Elysia may run beforeHandle more than once per upgrade: admit each request once.
  const admissions = new WeakMap<Request, Promise<Admission>>();
  const identities = new WeakMap<Request, WorkerIdentity>();
  const connections = new WeakMap<object, WorkerConnection>();
  const releases = new WeakMap<object, () => void>();

  return new Elysia().ws("/workers/connect", {
    async beforeHandle({ request }) {
      let pending = admissions.get(request);
      if (!pending) {
        pending = admitWorker(request, deps.admission());
        admissions.set(request, pending);
      }
      const admission = await pending;
      if (!admission.ok) {
        deps.log("warn", "worker connection refused", {
          status: admission.error.status,
          reason: admission.error.message,
        });
        return rejection(admission);
      }
      identities.set(request, admission.identity);
    },
    open(ws) {
      const identity = identities.get(ws.data.request);
      if (!identity) return ws.close(1008, "not admitted");
      const raw = ws.raw;
      const writer = new FrameWriter(
        {
          // A late flush may find the socket closed: what it held is for nobody now.
          text: (text) => void (raw.readyState === 1 && raw.sendText(text)),
          binary: (bytes) => void (raw.readyState === 1 && raw.sendBinary(bytes)),
          cork: (write) => void raw.cork(write),
        },
        // A batch to a worker stays within what the gateway takes from one.
        maxMessageBytes,
      );
      const connection = createWorkerConnection({
        registry: deps.registry,
        identity,
        log: deps.log,
        maxMessageBytes,
        ...(deps.window ? { window: deps.window } : {}),
        transport: {
          send: (text) => writer.text(text),
          sendBinary: (frame) => writer.binary(frame),
          flush: writer.flush,
          close: (code, reason) => {
            writer.flush();
            raw.close(code, reason);
          },
          peerReadsBatches: () => writer.peerReadsBatches(),
        },
      });
      connections.set(raw, connection);
      receiveDirectly(raw, connection, deps.log, "worker");
      const release = deps.sessions?.hold(
        identity.keyId ?? null,
        (reason) => connection.keyEnded(reason),
        identity.expiresAt ?? null,
      );
      if (release) releases.set(raw, release);
    },
    // Only where receiveDirectly could not take the connection's messages (see there).
    message(ws, message) {
      connections.get(ws.raw)?.message(message);
    },
    close(ws, code, reason) {
      connections.get(ws.raw)?.closed(code, reason);
      connections.delete(ws.raw);
      releases.get(ws.raw)?.();
      releases.delete(ws.raw);
    },
  });
}
