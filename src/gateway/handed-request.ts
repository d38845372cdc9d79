import type { AnyElysia } from "elysia";
import { GatewayError } from "../core/gateway-error.ts";
import { giveClientIp } from "../http/client-of.ts";
import { errorResponse } from "../http/error-body.ts";

/** What an embedder may say with a request it hands to `gateway.handle()`. */
export interface HandleOptions {
  /**
   * The client's address, for the audit row and `server.max_client_requests`: the peer of your
   * own server (`server.requestIP(request)?.address`), or the one your proxy vouches for. Without
   * it the request has no address: its audit row says none, and no per-address cap counts it.
   */
  readonly clientIp?: string | null;
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

/**
 * Elysia reads a request's path from the first "/" at or after index 11, past "https://" and a
 * three-letter host: with a shorter host (`http://gw/v1/...`) it would lose the path's first
 * segment. No part of the gateway reads the host of a handed-in URL, so such a request is made
 * anew on `localhost`, keeping its method, headers, body and signal.
 */
const PATH_FOUND_FROM = 11;

/** A request handed to `gateway.handle()`, as the app can route it and with its client address. */
export function handedRequest(request: Request, options: HandleOptions | undefined): Request {
  const url = request.url;
  const pathAt = url.indexOf("/", url.indexOf("//") + 2);
  const routable =
    pathAt !== -1 && pathAt < PATH_FOUND_FROM
      ? new Request(`${url.slice(0, url.indexOf("//"))}//localhost${url.slice(pathAt)}`, request)
      : request;
  if (options?.clientIp) giveClientIp(routable, options.clientIp);
  return routable;
}

/** The gateway's WebSocket endpoints: the worker tunnel and the Responses API's WebSocket mode. */
const UPGRADED_PATHS = new Set(["/workers/connect", "/v1/responses"]);

/**
 * The answer to a WebSocket upgrade handed in without the server that took it, which the gateway
 * would need to upgrade on: it says so (in OpenAI's dialect, which both endpoints speak) where the
 * app answered a bare "Expected a websocket connection". A 400, as that was.
 */
export function upgradeWithoutServer(request: Request): Response | undefined {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return undefined;
  const url = request.url;
  const pathAt = url.indexOf("/", url.indexOf("//") + 2);
  const queryAt = url.indexOf("?", pathAt);
  const path = pathAt === -1 ? "/" : url.slice(pathAt, queryAt === -1 ? undefined : queryAt);
  if (!UPGRADED_PATHS.has(path)) return undefined;
  const error = new GatewayError({
    status: 400,
    code: "invalid_request",
    message: `${path} cannot upgrade to a WebSocket here: the gateway was handed this request without its server, gateway.handle(request, { server }) (docs/EMBEDDING.md §1)`,
  });
  return errorResponse(error, "openai", {});
}
