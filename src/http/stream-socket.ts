import type { ModelCall } from "./model-call.ts";

/**
 * A stream's socket is held past `server.idle_timeout` while its upstream thinks, as long as the
 * attempt timeouts allow (gateway/stream-socket-idle.ts): Bun's `server.timeout` for the request.
 * Held once the stream commits (relayed, or kept alive while its first token is slow); a stream
 * answered whole, the usual fast case, makes no call at all.
 */
export function holdStreamSocket(call: ModelCall): void {
  call.server?.timeout?.(call.request, call.runtime.streamSocketIdle);
}

/**
 * Holds a stream's socket before it commits when the wait for its first token may outlast
 * `server.idle_timeout`: with `routing.stream_keepalive` off, or as long, nothing is written until
 * the first token, however late. Keep-alive comments sooner commit the stream before the socket
 * could idle out, and the commit holds it. Whether it held it.
 */
export function holdBeforeCommit(call: ModelCall): boolean {
  const { streamKeepAlive, socketIdle } = call.runtime;
  if (streamKeepAlive > 0 && streamKeepAlive < socketIdle * 1000) return false;
  holdStreamSocket(call);
  return true;
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
