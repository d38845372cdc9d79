import { type AnyElysia, Elysia } from "elysia";
import type { KeySessions } from "../auth/key-sessions.ts";
import type { Principal } from "../auth/principal.ts";
import { requireArea } from "../auth/roles.ts";
import { badRequest, notFound } from "../core/gateway-error.ts";
import { passedOnContext } from "../core/tracestate.ts";
import type { Logger } from "../log/logger.ts";
import type { Provider } from "../providers/provider.ts";
import type { ResponseStore, StoredResponse } from "../storage/storage.ts";
import { clientIpOf } from "./client-of.ts";
import { dialectHeaders, queryOf } from "./dialect-headers.ts";
import type { createFrontDoor } from "./front-door.ts";
import { inputItemsPage } from "./input-items-page.ts";
import type { RequestLedger } from "./request-ledger.ts";
import { readInScopes } from "./response-scope.ts";
import { responsesSocket } from "./responses-socket/responses-socket.ts";
import { storedConversation } from "./stored-conversation.ts";

type FrontDoor = ReturnType<typeof createFrontDoor>;

export interface ResponsesRouteDeps {
  readonly guard: FrontDoor["guard"];
  readonly store: ResponseStore;
  /** Where a failed save of a Responses WebSocket warm-up's response is told. */
  readonly logger: Logger;
  /**
   * The model-call pipeline: `POST /v1/responses/compact` (native routes only) and the WebSocket
   * mode's turns (`GET /v1/responses` upgraded).
   */
  readonly serveModel?: FrontDoor["serveModel"];
  /**
   * The upstream holding a natively answered response, by the name it was stored under (a
   * provider's name, `worker:<name>`): it is read and deleted there. A worker is one only to a
   * caller of a tenant it serves (a name another tenant's worker took since holds nothing of it).
   */
  readonly holder?: (name: string, tenant: string) => Provider | undefined;
  /** Live sessions per key: a Responses WebSocket closes when its key is revoked or expires. */
  readonly sessions?: KeySessions;
  /** Whether the route table routes a model name (a Responses WebSocket's warm-up checks it). */
  readonly routes?: (model: string, tenant: string) => boolean;
  /** `server.max_body` now: a Responses WebSocket's waiting turns hold no more together. */
  readonly maxBody: () => number;
}

type Context = { request: Request; server: Parameters<typeof clientIpOf>[0]; params: { id: string } };

/**
 * Stored Responses API answers, read within the caller's scope only (its tenant's, or its own
 * outside every tenant: response-scope.ts): any other scope's id answers exactly like an unknown
 * one, so ids reveal nothing across tenants or across keys. A response an
 * upstream answered natively is read (and deleted) where it is held, as the upstream answers;
 * one the gateway built by translation is served from the gateway's store.
 */
export function responsesRoutes(deps: ResponsesRouteDeps) {
  /**
   * The caller's response `id` as `read` reads it in the scopes the caller may read
   * (response-scope.ts), or a 404 in OpenAI's words.
   */
  async function found<T>(
    principal: Principal,
    id: string,
    read: (scope: string) => Promise<T | null>,
  ): Promise<T> {
    requireArea(principal, "models");
    const response = await readInScopes(principal, read);
    if (!response) throw notFound(`Response with id '${id}' not found.`);
    return response;
  }

  /** The caller's stored response, alone. */
  const find = (principal: Principal, id: string): Promise<StoredResponse> =>
    found(principal, id, (scope) => deps.store.get(scope, id));

  /**
   * Forwards to the provider holding the response, or undefined when the gateway holds it: under
   * the request's own id (the one its answer, audit row and access line carry) and with the
   * caller's `traceparent` (and `tracestate`) passed on, as a model call's would be with tracing
   * unset.
   */
  function fromHolder(
    stored: StoredResponse,
    tenant: string,
    request: Request,
    ledger: RequestLedger,
    method: "GET" | "DELETE",
    path: string,
  ) {
    const holder = stored.holder ? deps.holder?.(stored.holder, tenant) : undefined;
    if (!holder?.forward) return undefined;
    return holder.forward({
      method,
      path,
      query: queryOf(request.url),
      headers: dialectHeaders(request.headers, "openai"),
      requestId: ledger.requestId,
      ...passedOnContext(ledger.traceparent, ledger.tracestate),
      signal: request.signal,
    });
  }

  /** An upstream's answer relayed as it came, under the gateway's own headers. */
  async function relay(upstream: Response, headers: Record<string, string>): Promise<Response> {
    const type = upstream.headers.get("content-type") ?? "application/json";
    return new Response(await upstream.arrayBuffer(), {
      status: upstream.status,
      headers: { ...headers, "content-type": type },
    });
  }

  // Their own front door: a read is no generation, so its span, metrics and audit row say so.
  const guarded = (request: Request, clientIp: string | null, handle: Parameters<FrontDoor["guard"]>[4]) =>
    deps.guard(request, clientIp, "stored_responses", "openai", handle);

  let app: AnyElysia = new Elysia()
    .get("/v1/responses/:id", ({ request, server, params }: Context) =>
      guarded(request, clientIpOf(server, request), async ({ principal, headers, ledger }) => {
        const stored = await find(principal, params.id);
        const upstream = await fromHolder(
          stored,
          principal.tenant,
          request,
          ledger,
          "GET",
          `/responses/${encodeURIComponent(params.id)}`,
        );
        return upstream ? relay(upstream, headers) : Response.json(stored.response, { headers });
      }),
    )
    .get("/v1/responses/:id/input_items", ({ request, server, params }: Context) =>
      guarded(request, clientIpOf(server, request), async ({ principal, headers, ledger }) => {
        // Everything the response was given, its chain's earlier turns included, as OpenAI lists
        // it: what of the chain is still stored (a response deleted takes its turn with it).
        const conversation = await found(principal, params.id, (scope) =>
          storedConversation(deps.store, scope, params.id),
        );
        const stored = conversation.response;
        const path = `/responses/${encodeURIComponent(params.id)}/input_items`;
        const upstream = await fromHolder(stored, principal.tenant, request, ledger, "GET", path);
        if (upstream) return relay(upstream, headers);
        const output = Array.isArray(stored.response.output) ? stored.response.output.length : 0;
        const { items } = conversation;
        const input = items.slice(0, Math.max(0, items.length - output));
        return Response.json(inputItemsPage(input, new URL(request.url).searchParams), { headers });
      }),
    )
    .delete("/v1/responses/:id", ({ request, server, params }: Context) =>
      guarded(request, clientIpOf(server, request), async ({ principal, headers, ledger }) => {
        const stored = await find(principal, params.id);
        const path = `/responses/${encodeURIComponent(params.id)}`;
        const upstream = await fromHolder(stored, principal.tenant, request, ledger, "DELETE", path);
        if (!upstream && !deps.store.delete) throw badRequest("this gateway's response store cannot delete");
        await deps.store.delete?.(stored.tenant, params.id);
        if (upstream) return relay(upstream, headers);
        return Response.json({ id: params.id, object: "response", deleted: true }, { headers });
      }),
    );
  const serveModel = deps.serveModel;
  if (serveModel) {
    // `GET /v1/responses` upgraded: the WebSocket mode, each turn through the same pipeline.
    app = app.use(
      responsesSocket({
        guard: deps.guard,
        serveModel,
        store: deps.store,
        logger: deps.logger,
        ...(deps.sessions ? { sessions: deps.sessions } : {}),
        ...(deps.routes ? { routes: deps.routes } : {}),
        maxBody: deps.maxBody,
      }),
    );
    app = app.post("/v1/responses/compact", (context) => {
      const { request, server } = context as Omit<Context, "params">;
      return serveModel(request, clientIpOf(server, request), "responses", "/responses/compact", server);
    });
  }
  return app;
}
