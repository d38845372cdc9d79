import type { ServerWebSocket } from "bun";
import { Elysia } from "elysia";
import type { KeySessions } from "../../auth/key-sessions.ts";
import type { Principal } from "../../auth/principal.ts";
import { noServerToUpgrade } from "../../core/gateway-error.ts";
import type { ServerLike } from "../../http/client-of.ts";
import type { CallerHolds } from "../../tenants/caller-holds.ts";
import { FrameWriter } from "../frame-writer.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../protocol.ts";
import { receiveDirectly } from "../receive-directly.ts";
import type { WorkerLog } from "../worker-log.ts";
import {
  type AdmitOptions,
  admitWorker,
  screenWorkerUpgrade,
  tenantModelsOf,
  type WorkerIdentity,
} from "./admit-worker.ts";
import { createWorkerConnection, type WorkerConnection } from "./worker-connection.ts";
import type { WorkerRegistry } from "./worker-registry.ts";

/** An upgrade the guard let in: who connects, and the id its audit row and answer carry. */
export interface AdmittedUpgrade {
  readonly identity: WorkerIdentity;
  /** The caller as authenticated, held to the config in force (`WorkerEndpointDeps.holds`). */
  readonly principal?: Principal;
  readonly requestId: string;
}

/** What the endpoint checks of an upgrade, each refusing by throwing. */
export interface WorkerAdmission {
  /** By the request alone, before its credential is read (a query string: admit-worker.ts). */
  screen(): void;
  /** The caller, once authenticated (its role, a browser's origin). */
  admit(identity: WorkerIdentity): void;
}

/**
 * The gateway's front door guard around an upgrade (front door `workers`), as the Responses
 * WebSocket's: it accounts for the upgrade, admitted or not (one audit row, 101 when admitted; an
 * access line and `x-request-id` with its request id), runs `screen`, then authenticates the
 * caller and runs `admit`. Resolves with the admitted upgrade, or the refusal to answer with (in
 * the caller's dialect, as every refusal).
 */
export type WorkerGuard = (
  request: Request,
  server: ServerLike,
  admission: WorkerAdmission,
) => Promise<AdmittedUpgrade | Response>;

/**
 * What the config version current at a moment says of a worker's connection: what admits its
 * upgrade besides its credential (read at the upgrade: the browser origins allowed, default none,
 * as workers send no Origin), and how long a worker whose key narrows to none of its models may
 * finish what it has in flight before it is refused (read as the key narrows,
 * worker-connection.ts: `server.drain_timeout`).
 */
export interface WorkerTerms {
  readonly admission: AdmitOptions;
  readonly drainMs: number;
}

/** What the worker endpoint needs from the gateway. */
export interface WorkerEndpointDeps {
  registry: WorkerRegistry;
  /** Authenticates and records each upgrade (the front door's guard). */
  guard: WorkerGuard;
  /** The terms of the config version current now (`RuntimeSnapshot.workerTerms`). */
  terms: () => WorkerTerms;
  log: WorkerLog;
  /** Must equal the server's `maxPayloadLength` (see workerWebSocketConfig). */
  maxMessageBytes?: number;
  /**
   * The server's message limit, `workerWebSocketConfig`'s argument (the larger of this and
   * `server.max_body`), when it is larger: the send buffer's limit follows it (`sendBufferLimit`).
   */
  serverMessageBytes?: number;
  /** Per-stream credit window in bytes. */
  window?: number;
  /**
   * Live sessions per key: a revoke or expiry of the worker's key closes its connection; a change
   * of its models changes what the worker is routed.
   */
  sessions?: KeySessions;
  /**
   * What callers hold open, held to the config in force: a reload that refuses the worker's key
   * (its tenant removed from `tenants:`) closes its connection as a revoke does, with
   * `key_tenant_removed` (tenants/caller-holds.ts).
   */
  holds?: CallerHolds;
}

/**
 * What Bun buffers for one connection that does not read before it closes it (a worker stopped or
 * on a slow link must not hold the gateway's memory without bound), unless the largest message
 * asks for more (`sendBufferLimit`).
 */
export const SEND_BUFFER_LIMIT = 64 * 1024 * 1024;

/**
 * The send buffer's limit for a server whose largest message is `maxMessageBytes` (the larger of
 * `workers.max_message` and `server.max_body`): twice that when it is more than 64 MiB. One request
 * goes whenever nothing waits, so a body past half the limit would leave no room for the small
 * frames written behind it while the worker reads it (a cancel, a credit, a heartbeat), and the
 * first of them would close the connection, cutting every stream on it. The "backed up" refusal
 * still keeps what waits to about one such request.
 */
export function sendBufferLimit(maxMessageBytes: number): number {
  return Math.max(SEND_BUFFER_LIMIT, 2 * maxMessageBytes);
}

/** Why a connection Bun closed (1006, no reason of its own) went: a send it refused. */
const overLimit = (limit: number) =>
  `its send buffer passed ${limit / 1024 / 1024} MiB: the worker stopped reading`;

/**
 * Bun's reason for a connection it closed itself at a message past `maxPayloadLength`: 1009 to the
 * peer, 1006 to the close handler.
 */
const BUN_TOO_BIG = "Received too big message";

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
    backpressureLimit: sendBufferLimit(maxMessageBytes),
    closeOnBackpressureLimit: true,
  } as const;
}

/** `GET /workers/connect`: the WebSocket that workers dial out to. */
export function workerEndpoint(deps: WorkerEndpointDeps) {
  const maxMessageBytes = deps.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const sendLimit = sendBufferLimit(deps.serverMessageBytes ?? maxMessageBytes);
  /**
   * No new request goes to a worker while what waits for its socket and this request would pass
   * half the limit (one large body goes whenever nothing waits): the rest is room for the small
   * frames of the streams already open (credit, cancel, heartbeats), so that they are not cut.
   */
  const requestRoom = sendLimit / 2;
  const overLimitReason = overLimit(sendLimit);
  // Elysia may run beforeHandle more than once per upgrade: admit each request once.
  const upgrades = new WeakMap<Request, Promise<AdmittedUpgrade | Response>>();
  const admitted = new WeakMap<Request, AdmittedUpgrade>();
  const connections = new WeakMap<object, WorkerConnection>();
  const releases = new WeakMap<object, () => void>();
  // Sockets a send was refused on: Bun closes them with 1006 and no reason.
  const refusedSend = new WeakSet<object>();

  return new Elysia().ws("/workers/connect", {
    async beforeHandle({ request, server, set, path }) {
      // Handed in without the server to upgrade on: answered as a refusal (create-app.ts's onError).
      if (!server) throw noServerToUpgrade(path);
      let pending = upgrades.get(request);
      if (!pending) {
        const options = deps.terms().admission;
        pending = deps.guard(request, server as ServerLike, {
          screen: () => screenWorkerUpgrade(request),
          admit: (identity) => admitWorker(request, identity, options),
        });
        upgrades.set(request, pending);
      }
      const upgrade = await pending;
      // Refused: answered, recorded and logged (an access line) by the guard.
      if (upgrade instanceof Response) return upgrade;
      admitted.set(request, upgrade);
      set.headers["x-request-id"] = upgrade.requestId;
    },
    open(ws) {
      const upgrade = admitted.get(ws.data.request);
      if (!upgrade) return ws.close(1008, "not admitted");
      const { identity, principal } = upgrade;
      const raw = ws.raw;
      // 0: dropped, past the send buffer's limit (no frame is empty); the close follows.
      const sent = (status: number) => status === 0 && refusedSend.add(raw);
      // Bun's socket; Elysia's type of it leaves this out.
      const socket = raw as unknown as Pick<ServerWebSocket<unknown>, "getBufferedAmount">;
      const writer = new FrameWriter(
        {
          // A late flush may find the socket closed: what it held is for nobody now.
          text: (text) => void (raw.readyState === 1 && sent(raw.sendText(text))),
          binary: (bytes) => void (raw.readyState === 1 && sent(raw.sendBinary(bytes))),
          cork: (write) => void raw.cork(write),
        },
        // A batch to a worker stays within what the gateway takes from one.
        maxMessageBytes,
      );
      const connection = createWorkerConnection({
        registry: deps.registry,
        identity,
        log: deps.log,
        drainMs: () => deps.terms().drainMs,
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
          backedUp: (bytes) => {
            const queued = socket.getBufferedAmount() + writer.pendingBytes();
            return queued > 0 && queued + bytes > requestRoom;
          },
        },
      });
      connections.set(raw, connection);
      receiveDirectly(raw, connection, deps.log, "worker");
      // Held to the config: a reload that refuses its key (its tenant removed) ends it, and one that
      // changes its tenant's models narrows or widens what it is routed.
      const tenantRemoved = () => connection.keyEnded("tenant_removed");
      const tenantRebound = (bound: Principal) => connection.tenantModels(tenantModelsOf(bound));
      const held = principal && deps.holds?.hold(principal, tenantRemoved, undefined, tenantRebound);
      if (held) releases.set(raw, held);
      // Held under its key: a revoke or expiry ends it, a change of the key's models narrows or widens it.
      const { sessions } = deps;
      if (sessions) {
        const keyId = identity.keyId ?? null;
        sessions.enter(keyId, connection, identity.expiresAt ?? null);
        releases.set(raw, () => {
          held?.();
          sessions.leave(keyId, connection);
        });
        // A change of the key's models after its upgrade was admitted reached the sessions before this one.
        const told = keyId === null ? undefined : sessions.changedModels(keyId);
        if (told !== undefined) connection.keyModels(told);
      }
      // Likewise a reload between the upgrade's admission and `hold`, which told no connection:
      // judged here once, as a reload judges it (last, so that a close finds every release set).
      if (principal && deps.holds) {
        const bound = deps.holds.bound(principal);
        if (bound === undefined) tenantRemoved();
        else tenantRebound(bound);
      }
    },
    // Only where receiveDirectly could not take the connection's messages (see there).
    message(ws, message) {
      connections.get(ws.raw)?.message(message);
    },
    close(ws, code, reason) {
      const connection = connections.get(ws.raw);
      if (code === 1006 && reason === BUN_TOO_BIG) connection?.tooBig();
      else connection?.closed(code, refusedSend.has(ws.raw) ? overLimitReason : reason);
      connections.delete(ws.raw);
      releases.get(ws.raw)?.();
      releases.delete(ws.raw);
    },
  });
}
