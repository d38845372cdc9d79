import type { ServerWebSocket, WebSocketHandler } from "bun";
import type { AnyElysia } from "elysia";

/**
 * What the app (Elysia) puts on each socket its WebSocket routes upgrade: that route's callbacks.
 * Bun calls one set of handlers for a whole server; these hand each event to its socket's route.
 */
export interface RoutedSocket {
  open?(ws: ServerWebSocket<RoutedSocket>): void;
  message?(ws: ServerWebSocket<RoutedSocket>, message: string | Buffer): void;
  drain?(ws: ServerWebSocket<RoutedSocket>): void;
  close?(ws: ServerWebSocket<RoutedSocket>, code: number, reason: string): void;
  ping?(ws: ServerWebSocket<RoutedSocket>, data: Buffer): void;
  pong?(ws: ServerWebSocket<RoutedSocket>, data: Buffer): void;
}

/**
 * The `websocket` option for an embedder's `Bun.serve` that hands requests to `gateway.handle`
 * with its `server`: each event to the route that upgraded the socket, under the server-wide
 * settings the app asks for (the worker tunnel's frame size and backpressure: worker-endpoint.ts),
 * as the gateway's own listener has them.
 */
export function gatewayWebSocket(app: AnyElysia): WebSocketHandler<RoutedSocket> {
  const { maxPayloadLength, idleTimeout, backpressureLimit, closeOnBackpressureLimit, perMessageDeflate } =
    app.config.websocket ?? {};
  return {
    ...(maxPayloadLength === undefined ? {} : { maxPayloadLength }),
    ...(idleTimeout === undefined ? {} : { idleTimeout }),
    ...(backpressureLimit === undefined ? {} : { backpressureLimit }),
    ...(closeOnBackpressureLimit === undefined ? {} : { closeOnBackpressureLimit }),
    ...(perMessageDeflate === undefined ? {} : { perMessageDeflate }),
    open: (ws) => ws.data.open?.(ws),
    message: (ws, message) => ws.data.message?.(ws, message),
    drain: (ws) => ws.data.drain?.(ws),
    close: (ws, code, reason) => ws.data.close?.(ws, code, reason),
    ping: (ws, data) => ws.data.ping?.(ws, data),
    pong: (ws, data) => ws.data.pong?.(ws, data),
  };
}
