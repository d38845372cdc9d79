import { type AnyElysia, Elysia } from "elysia";
import type { KeySessions } from "../auth/key-sessions.ts";
import type { Principal } from "../auth/principal.ts";
import { requireArea } from "../auth/roles.ts";
import { shown } from "../core/cut-words.ts";
import type { JsonObject } from "../core/dialect.ts";
import { badRequest, GatewayError, notFound } from "../core/gateway-error.ts";
import { passedOnContext } from "../core/tracestate.ts";
import type { Logger } from "../log/logger.ts";
import type { KnownAs } from "../models/model-index.ts";
import { readBounded, readErrorText } from "../providers/http/read-bounded.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import type { Provider } from "../providers/provider.ts";
import { IN_BODY, saidPreviousId, withPreviousId } from "../routing/previous-response-id.ts";
import type { ResponseStore, StoredResponse } from "../storage/storage.ts";
import type { CallerHolds } from "../tenants/caller-holds.ts";
import { clientIpOf } from "./client-of.ts";
import { dialectHeaders, queryOf } from "./dialect-headers.ts";
import type { createFrontDoor } from "./front-door.ts";
import type { InFlightResponses } from "./in-flight-responses.ts";
import { inputItemsPage } from "./input-items-page.ts";
import type { RequestLedger } from "./request-ledger.ts";
import { refuseUnknownIncludes } from "./response-includes.ts";
import { readableScopes, readInScopes } from "./response-scope.ts";
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
  /** What callers hold open: a Responses WebSocket closes at the reload that removes its caller's tenant. */
  readonly holds?: CallerHolds;
  /** Whether the route table routes a model name (a Responses WebSocket's warm-up checks it). */
  readonly routes?: (model: string, tenant: string) => KnownAs | undefined;
  /** `server.max_body` now: a Responses WebSocket's waiting turns hold no more together. */
  readonly maxBody: () => number;
  /** `routing.max_upstream_body` now: the most of a holder's answer to a read that is relayed. */
  readonly maxUpstreamBody: () => number;
  /**
   * The stored responses this node is answering now (in-flight-responses.ts): a `GET` of one reads
   * it `in_progress` until its row is written. Absent: a response is readable once stored.
   */
  readonly inFlight?: InFlightResponses;
}

/** What a `GET` of a response's id finds: the stored response, or one this node is answering now. */
type Read = { readonly stored: StoredResponse } | { readonly answering: JsonObject };

/** A stored response's holder (its provider's name) and what it answered. */
interface FromHolder {
  readonly answer: Response;
  readonly holder: string;
}

type Context = { request: Request; server: Parameters<typeof clientIpOf>[0]; params: { id: string } };

/**
 * Stored Responses API answers, read within the caller's scope only (its tenant's, or its own
 * outside every tenant: response-scope.ts): any other scope's id answers exactly like an unknown
 * one, so ids reveal nothing across tenants or across keys. A response an upstream answered
 * natively is read (and deleted) where it is held: its answer relayed, its failures said as a
 * model call's are (`relay`), and the gateway's copy deleted only once the holder no longer holds
 * it. One the gateway built by translation is served from the gateway's store.
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
    const response = await readInScopes(readableScopes(principal, deps.store.labelScopesClosedAt), read);
    if (!response) throw responseNotFound(id);
    return response;
  }

  /** The caller's stored response, alone. */
  const find = (principal: Principal, id: string): Promise<StoredResponse> =>
    found(principal, id, (scope) => deps.store.get(scope, id));

  /**
   * The response `id` of `scope` as a read finds it: being answered on this node first, as its row
   * is written before it leaves that registry (so a read never falls between the two), else stored.
   */
  async function readOf(scope: string, id: string): Promise<Read | null> {
    const answering = deps.inFlight?.read(scope, id);
    if (answering) return { answering };
    const stored = await deps.store.get(scope, id);
    return stored ? { stored } : null;
  }

  /**
   * Forwards to the provider holding the response, or undefined when the gateway holds it: under
   * the request's own id (the one its answer, audit row and access line carry) and with the
   * caller's `traceparent` (and `tracestate`) passed on, as a model call's would be with tracing
   * unset.
   */
  async function fromHolder(
    stored: StoredResponse,
    tenant: string,
    request: Request,
    ledger: RequestLedger,
    method: "GET" | "DELETE",
    path: string,
  ): Promise<FromHolder | undefined> {
    const holder = stored.holder ? deps.holder?.(stored.holder, tenant) : undefined;
    if (!holder?.forward) return undefined;
    const answer = await holder.forward({
      method,
      path,
      query: queryOf(request.url),
      headers: dialectHeaders(request.headers, "openai"),
      requestId: ledger.requestId,
      ...passedOnContext(ledger.traceparent, ledger.tracestate),
      signal: request.signal,
    });
    return { answer, holder: holder.name };
  }

  /**
   * The holder's answer: a 2xx relayed as it came (but for `previousId`), under the gateway's own
   * headers; null for a 404
   * (it holds the response no longer). Any other failure is judged as a model call's is
   * (upstream-failure.ts) and thrown: its credentials refused are a 502 in the gateway's words
   * (the upstream's text, which may quote its key, never reaches the caller), a 429 a 429 with
   * its Retry-After, a server fault retryable.
   */
  async function relay(
    { answer, holder }: FromHolder,
    headers: Record<string, string>,
    /**
     * The `previous_response_id` the response was answered with, when it is one the upstream was
     * not sent (a chain the gateway expanded: native-responses.ts `previousSaid`): its copy says null
     * there, and is said as the `POST` answered, as the gateway's own copy says it.
     */
    previousId?: string,
  ): Promise<Response | null> {
    if (answer.status === 404) {
      await answer.body?.cancel();
      return null;
    }
    if (!answer.ok) {
      const text = await readErrorText(answer, holder);
      throw upstreamFailure(holder, { status: answer.status, headers: answer.headers, text }, "openai");
    }
    const type = answer.headers.get("content-type") ?? "application/json";
    // Read whole, as a model's whole answer is: no more than `routing.max_upstream_body`.
    const read = await readBounded(answer, deps.maxUpstreamBody(), holder, "refuse");
    const body =
      previousId === undefined ? read : (withPreviousId(read, saidPreviousId(previousId), IN_BODY) ?? read);
    return new Response(body, { status: answer.status, headers: { ...headers, "content-type": type } });
  }

  /** The holder's answer to a read, a 404 in OpenAI's words when it holds the response no longer. */
  async function relayRead(
    upstream: FromHolder,
    id: string,
    headers: Record<string, string>,
    previousId?: string,
  ) {
    const answer = await relay(upstream, headers, previousId);
    if (!answer) throw responseNotFound(id);
    return answer;
  }

  // Their own front door: a read is no generation, so its span, metrics and audit row say so.
  const guarded = (request: Request, clientIp: string | null, handle: Parameters<FrontDoor["guard"]>[4]) =>
    deps.guard(request, clientIp, "stored_responses", "openai", handle);

  let app: AnyElysia = new Elysia()
    .get("/v1/responses/:id", ({ request, server, params }: Context) =>
      guarded(request, clientIpOf(server, request), async ({ principal, headers, ledger }) => {
        refuseStreamedRead(request);
        refuseUnknownIncludes(new URL(request.url).searchParams);
        const read = await found(principal, params.id, (scope) => readOf(scope, params.id));
        if ("answering" in read) return Response.json(read.answering, { headers });
        const stored = read.stored;
        const path = `/responses/${encodeURIComponent(params.id)}`;
        const upstream = await fromHolder(stored, principal.tenant, request, ledger, "GET", path);
        const previous = stored.response.previous_response_id;
        if (upstream)
          return relayRead(upstream, params.id, headers, typeof previous === "string" ? previous : undefined);
        return Response.json(stored.response, { headers });
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
        if (upstream) return relayRead(upstream, params.id, headers);
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
        // The gateway's copy goes only once the holder let go of it (deleted it, or holds it no
        // longer): a holder that failed still holds it, and the caller may try again.
        const answered = upstream ? await relay(upstream, headers) : undefined;
        await deps.store.delete?.(stored.tenant, params.id);
        if (answered === null) throw responseNotFound(params.id);
        return answered ?? Response.json({ id: params.id, object: "response", deleted: true }, { headers });
      }),
    )
    // OpenAI's token count of a Responses request is not served: said so, where the path read as a
    // response's id was a 405 naming GET and DELETE.
    .post("/v1/responses/input_tokens", ({ request, server }: Omit<Context, "params">) =>
      guarded(request, clientIpOf(server, request), async () => {
        throw notFound(
          "POST /v1/responses/input_tokens (OpenAI's input token count) is not served by this gateway; each answer's usage.input_tokens says what its input took",
        );
      }),
    )
    // OpenAI cancels a background response alone; the gateway runs none (refuse-background.ts), so
    // every response it holds, or an upstream holds for it, is a synchronous one: OpenAI's 400.
    .post("/v1/responses/:id/cancel", ({ request, server, params }: Context) =>
      guarded(request, clientIpOf(server, request), async ({ principal }) => {
        await find(principal, params.id);
        throw badRequest("Cannot cancel a synchronous response.");
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
        ...(deps.holds ? { holds: deps.holds } : {}),
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

/**
 * `GET /v1/responses/{id}?stream=true` replays a background response's events as it runs. The
 * gateway runs none (refuse-background.ts): every response it stores is complete, and is read
 * whole; a holder's events would be relayed buffered, as no stream.
 */
function refuseStreamedRead(request: Request): void {
  if (new URL(request.url).searchParams.get("stream") !== "true") return;
  throw badRequest(
    "stream: a stored response is read whole: this gateway runs no response in the background, so every response it stores is complete; retrieve it without stream",
    "stream",
  );
}

/**
 * OpenAI's 404 for a response it does not hold (or that is not the caller's), as its API says it:
 * its words, no `param`, and no `code` (the record's is `not_found`).
 */
const responseNotFound = (id: string) =>
  new GatewayError({
    status: 404,
    code: "not_found",
    message: `Response with id '${shown(id)}' not found.`,
    openAICode: null,
  });
