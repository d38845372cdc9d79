import type { WorkerLog } from "./worker-log.ts";

/** What Elysia keeps on a socket it upgraded: its per-connection handlers, `message` among them. */
interface ElysiaSocketData {
  message?: (socket: unknown, message: unknown) => unknown;
}

/** Whatever takes one socket's messages: a worker connection, a cluster link's frame switch. */
export interface MessageReceiver {
  message(raw: unknown): void;
}

/**
 * Hands a socket's messages to its receiver as Bun delivers them. Elysia's handler for each
 * message makes an `ElysiaWS` (ten bound functions), parses the message in an async function
 * and awaits the route's handler twice: ~1.6 % of the gateway's samples on the worker route at
 * c=32, a quarter of the tunnel's receive side (docs/BENCHMARKS-HISTORY.md, "Session 14: the
 * worker route"). Bun's server calls `socket.data.message`, which Elysia set at the upgrade:
 * replaced here by one function a socket. A control frame's text is then parsed by the receiver
 * (decodeJson), not by Elysia, with the same result. If a later Elysia keeps its handlers
 * elsewhere, nothing is replaced (said in a debug line) and its own path (the route's `message`)
 * still runs, so an endpoint keeps that handler too.
 *
 * `what` names the socket's kind in the log lines ("worker", "cluster link").
 */
export function receiveDirectly(
  raw: { data: unknown },
  receiver: MessageReceiver,
  log: WorkerLog,
  what: string,
): void {
  const data = raw.data as ElysiaSocketData | undefined;
  if (typeof data?.message !== "function") {
    log("debug", `${what} messages take Elysia's own path (its socket data has no message handler)`);
    return;
  }
  data.message = (_socket, message) => {
    try {
      receiver.message(message);
    } catch (error) {
      // Elysia's path swallowed a handler's throw; it is logged here, the socket kept.
      log("error", `${what} message handler failed`, { error: String(error) });
    }
  };
}
