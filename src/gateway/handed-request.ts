import type { SocketAddress } from "bun";
import type { AnyElysia } from "elysia";
import { auditText } from "../audit/audit-text.ts";
import { giveClientIp } from "../http/client-of.ts";
import { routableRequest } from "../http/routable-request.ts";

/** What an embedder may say with a request it hands to `gateway.handle()`. */
export interface HandleOptions {
  /**
   * The client's address, for the audit row and `server.max_client_requests`: the PEER of your
   * own server (`server.requestIP(request)?.address`; not Node's `socket.address()`, which is your
   * end), or the one your proxy vouches for. Bun's `SocketAddress` whole (`server.requestIP(request)`)
   * is taken for its `address`. Without it (null, or from JavaScript anything else that is no text)
   * the request has no address: its audit row says none, and no per-address cap counts it. Kept to
   * its first 512 characters, as a User-Agent is.
   */
  readonly clientIp?: string | SocketAddress | null;
  /**
   * Your Bun server that took the request: with it the gateway's WebSocket endpoints (the worker
   * tunnel `/workers/connect`, the Responses API's `GET /v1/responses`) upgrade on it, given
   * `websocket: gateway.websocket` in its `Bun.serve` options; a stream's idle time is set on it,
   * and the client's address read from it when `clientIp` is not given. One server per gateway:
   * the first one handed in is the one upgrades go through.
   */
  readonly server?: Server;
}

/** A Bun server, as the gateway's app (Elysia) holds one. */
export type Server = NonNullable<AnyElysia["server"]>;

/** A request handed to `gateway.handle()`, as the app can route it and with its client address. */
export function handedRequest(request: Request, options: HandleOptions | undefined): Request {
  const routable = routableRequest(request);
  // Text only: anything else (a number) reached the audit row as it was, and the database refused
  // the row (lost). A JavaScript host's `server.requestIP(request)` whole gives its address.
  const clientIp = addressOf(options?.clientIp);
  // Cut as a User-Agent is (auditText): the caller's text, copied into every event and row whole.
  if (clientIp !== undefined) giveClientIp(routable, auditText(clientIp));
  return routable;
}

/** The text given, or the `address` of something shaped like Bun's `SocketAddress`; else undefined. */
function addressOf(given: unknown): string | undefined {
  if (typeof given === "string") return given === "" ? undefined : given;
  if (typeof given !== "object" || given === null) return undefined;
  const { address, family, port } = given as Partial<Record<"address" | "family" | "port", unknown>>;
  const socketAddress = typeof family === "string" && typeof port === "number";
  return socketAddress && typeof address === "string" && address !== "" ? address : undefined;
}
