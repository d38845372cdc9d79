import type { ModelCall } from "./model-call.ts";

/**
 * A stream's socket is held past `server.idle_timeout` while its upstream thinks, as long as the
 * attempt timeouts allow (gateway/stream-socket-idle.ts): Bun's `server.timeout` for the request.
 * Held as soon as the stream's body is read: what comes between (a stored Responses chain read,
 * the Redis admission, an upstream's first token) runs on the socket's idle clock, which started
 * at the body's last byte, and Bun's timer ticks every 4 s whatever the bound (a bound of a tick
 * or less closes the socket at the next tick, written or not).
 */
export function holdStreamSocket(call: ModelCall): void {
  call.server?.timeout?.(call.request, call.runtime.streamSocketIdle);
}

/**
 * The stream's socket is given `server.idle_timeout` again, before the answer's last write: Bun
 * keeps the bound a request set on its connection after the answer (an idle keep-alive connection
 * was held for minutes), and a bound set once the answer is over no longer counts. Only a socket
 * that was held.
 */
export function releaseStreamSocket(call: ModelCall): void {
  call.server?.timeout?.(call.request, call.runtime.socketIdle);
}
