import { Elysia } from "elysia";
import { credentialEnded, type KeySessions } from "../../auth/key-sessions.ts";
import type { Principal } from "../../auth/principal.ts";
import { assertModelAllowed, requireArea } from "../../auth/roles.ts";
import { isJsonObject } from "../../core/dialect.ts";
import { badRequest, type GatewayError, modelNotFound, noServerToUpgrade } from "../../core/gateway-error.ts";
import { encodeSse } from "../../core/sse.ts";
import type { Logger } from "../../log/logger.ts";
import type { KnownAs } from "../../models/model-index.ts";
import type { ResponseStore } from "../../storage/storage.ts";
import { type CallerHolds, tenantRemoved } from "../../tenants/caller-holds.ts";
import { ResponsesStreamWriter } from "../../translate/responses/responses-stream-writer.ts";
import { clientIpOf, type ServerLike } from "../client-of.ts";
import type { createFrontDoor, Guarded, KnownBeforehand } from "../front-door.ts";
import { recordedModel, refuseCredentialModel } from "../recorded-model.ts";
import { logSaveError, responsesContext } from "../responses-context.ts";
import { validateBody } from "../validate-body.ts";
import { ResponsesSocketSession } from "./socket-session.ts";
import type { SocketTurn } from "./socket-turn.ts";

type FrontDoor = ReturnType<typeof createFrontDoor>;

export interface ResponsesSocketDeps {
  readonly guard: FrontDoor["guard"];
  readonly serveModel: FrontDoor["serveModel"];
  /** The gateway's stored responses: a warm-up continues a stored chain and is stored as a POST's answer is. */
  readonly store: ResponseStore;
  readonly logger: Logger;
  /** Live sessions per key: a revoke or expiry of the caller's key closes the connection. */
  readonly sessions?: KeySessions;
  /**
   * What callers hold open, held to the config in force: a reload that refuses the caller (its
   * tenant removed from `tenants:`) closes the connection as a revoke does (tenants/caller-holds.ts).
   */
  readonly holds?: CallerHolds;
  /**
   * Whether the route table routes a model name for a caller of `tenant`: a warm-up (`generate:
   * false`) for one it does not is refused as the turn it prepares would be. Absent (an
   * embedder's), every name is taken.
   */
  readonly routes?: (model: string, tenant: string) => KnownAs | undefined;
  /** `server.max_body` now: what the turns waiting on a connection may hold together. */
  readonly maxBody: () => number;
}

/** The connection's own request (what each turn's request is made from) and who opened it. */
interface Handshake {
  readonly request: Request;
  readonly clientIp: string | null;
  readonly principal: Principal;
}

type Opened =
  | { accepted: true; requestId: string; principal: Principal }
  | { accepted: false; response: Response };

/**
 * Policy violation: the close code a socket gets when its key is revoked or expires, its JWT expires,
 * or a reload removes its caller's tenant.
 */
const KEY_ENDED = 1008;

/** Headers of the upgrade that are no turn's: a turn is a `POST` of its own, with an id of its own. */
const UPGRADE_ONLY = [
  "upgrade",
  "connection",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-extensions",
  "sec-websocket-protocol",
  "content-length",
  "x-request-id",
];

/**
 * A turn as the `POST /v1/responses` it stands for: the upgrade's credentials and client headers
 * (`traceparent`, `openai-beta`, the user agent), the turn's body, and the socket's abort. A turn
 * may carry a trace context of its own, as a header of its own would over HTTP: Codex sends
 * `client_metadata.ws_request_header_traceparent` (and `…_tracestate`); it replaces the upgrade's.
 */
function turnRequest(handshake: Request, body: SocketTurn["body"], signal: AbortSignal): Request {
  const headers = turnHeaders(handshake);
  const metadata = isJsonObject(body.client_metadata) ? body.client_metadata : undefined;
  const traceparent = headerText(metadata?.ws_request_header_traceparent);
  if (traceparent !== undefined) {
    headers.set("traceparent", traceparent);
    const tracestate = headerText(metadata?.ws_request_header_tracestate);
    if (tracestate === undefined) headers.delete("tracestate");
    else headers.set("tracestate", tracestate);
  }
  return new Request(handshake.url, { method: "POST", headers, body: JSON.stringify(body), signal });
}

/** The upgrade's headers as a turn's `POST` carries them. */
function turnHeaders(handshake: Request): Headers {
  const headers = new Headers(handshake.headers);
  for (const name of UPGRADE_ONLY) headers.delete(name);
  headers.set("content-type", "application/json");
  return headers;
}

/**
 * A message refused before it became a turn, as the `POST` it stood for: the upgrade's headers and
 * the message as it came (text, or the JSON Elysia parsed), for the audit row of its refusal.
 */
function refusedRequest(handshake: Request, message: unknown): Request {
  const body = typeof message === "string" ? message : JSON.stringify(message ?? null);
  return new Request(handshake.url, { method: "POST", headers: turnHeaders(handshake), body });
}

/**
 * Who a turn comes from and the model it names, for the record of a refusal at the door (the
 * gateway draining) that comes before the turn's own authentication: a turn, or a message refused
 * before it became one, is recorded with its caller and model as any other.
 */
function knownBeforehand(principal: Principal, message: unknown): KnownBeforehand {
  const model = isJsonObject(message) && typeof message.model === "string" ? message.model : null;
  return { principal, model };
}

/** A value a header can hold (printable ASCII), else undefined: the pipeline validates the rest. */
const headerText = (value: unknown): string | undefined =>
  typeof value === "string" && /^[\x20-\x7e]*$/.test(value) ? value : undefined;

/**
 * `GET /v1/responses` upgraded: the Responses API's WebSocket mode. The upgrade is authenticated
 * (a refusal is the HTTP error, as over `POST`) and leaves an audit row of its own (front door
 * `responses_socket`, status 101); each `response.create` then runs as the `POST /v1/responses`
 * it stands for, with a row of its own, and streams its events back as messages.
 */
export function responsesSocket(deps: ResponsesSocketDeps) {
  // Elysia may run beforeHandle more than once per upgrade: each upgrade is let in once.
  const opening = new WeakMap<Request, Promise<Opened>>();
  const handshakes = new WeakMap<Request, Handshake>();
  const sessions = new WeakMap<
    object,
    { session: ResponsesSocketSession; release?: () => void; held?: () => void }
  >();

  async function open(request: Request, clientIp: string | null): Promise<Opened> {
    let accepted: Extract<Opened, { accepted: true }> | undefined;
    const response = await deps.guard(request, clientIp, "responses_socket", "openai", async (guarded) => {
      requireArea(guarded.principal, "models");
      // The row says the connection was opened (101); the turns have rows of their own.
      guarded.deferEnd()(101);
      accepted = { accepted: true, requestId: guarded.ledger.requestId, principal: guarded.principal };
      return new Response(null, { status: 204 });
    });
    return accepted ?? { accepted: false, response };
  }

  /**
   * `generate: false`: the turn is admitted as the turns it prepares will be (a valid body, a model
   * the caller may use and the gateway routes, a `previous_response_id` the store holds for the
   * caller's scope: response-scope.ts) and recorded with its model; its response is made here, empty, and stored
   * as a POST's would be (unless `store: false`), so a turn on another connection or over HTTP
   * can continue from it. No model is called and no limit is spent.
   */
  function prepare(
    request: Request,
    clientIp: string | null,
    turn: SocketTurn,
    beforehand: KnownBeforehand,
  ): Promise<Response> {
    const prepared = async ({ principal, headers, ledger }: Guarded) => {
      requireArea(principal, "models");
      const model = validateBody("responses", turn.body);
      const known = deps.routes?.(model, principal.tenant);
      ledger.model = recordedModel(model, known);
      assertModelAllowed(principal, model);
      if (deps.routes && !known) throw modelNotFound(model);
      refuseCredentialModel(model, known);
      const saveFailed = logSaveError(deps.logger, ledger.requestId);
      const context = await responsesContext(deps.store, principal, turn.body, saveFailed, {
        held: turn.continued,
      });
      const writer = new ResponsesStreamWriter({
        id: context.id,
        request: turn.body,
        onResponse: (response) => context.onResponse(response),
      });
      const events = [...writer.start(), ...writer.finish()];
      // Stored before it is answered, as a POST's answer is: the next turn may continue from it.
      const failure = await context.saved();
      if (failure) throw failure;
      return new Response(events.map(encodeSse).join(""), {
        headers: { ...headers, "content-type": "text/event-stream" },
      });
    };
    return deps.guard(request, clientIp, "responses", "openai", prepared, beforehand);
  }

  return new Elysia().ws("/v1/responses", {
    async beforeHandle({ request, server, set, path }) {
      // Handed in without the server to upgrade on: answered as a refusal (create-app.ts's onError).
      if (!server) throw noServerToUpgrade(path);
      let pending = opening.get(request);
      const clientIp = clientIpOf(server as ServerLike, request);
      if (!pending) {
        pending = open(request, clientIp);
        opening.set(request, pending);
      }
      const opened = await pending;
      if (!opened.accepted) return opened.response;
      handshakes.set(request, { request, clientIp, principal: opened.principal });
      set.headers["x-request-id"] = opened.requestId;
    },
    open(ws) {
      const handshake = handshakes.get(ws.data.request);
      if (!handshake) return ws.close(1008, "not admitted");
      const raw = ws.raw;
      const { request, clientIp, principal } = handshake;
      /**
       * A message that runs no turn (refused as it came, or left waiting at the close or past the
       * connection's bounds), recorded as the `POST /v1/responses` it stood for, refused with `why`:
       * its row names the model it asked for, as any refused request's does.
       */
      const refusedTurn = (message: unknown, why: GatewayError) =>
        deps.guard(
          refusedRequest(request, message),
          clientIp,
          "responses",
          "openai",
          async ({ principal: caller, ledger }) => {
            const { model } = knownBeforehand(caller, message);
            if (model !== null) ledger.model = recordedModel(model, deps.routes?.(model, caller.tenant));
            throw why;
          },
          knownBeforehand(principal, message),
        );
      const session = new ResponsesSocketSession({
        send: (text) => void (raw.readyState === 1 && raw.sendText(text)),
        answer: (turn, signal, answered, failing) => {
          const post = turnRequest(request, turn.body, signal);
          const beforehand = knownBeforehand(principal, turn.body);
          // A warm-up's empty response is the gateway's: no one upstream holds it.
          return turn.generate
            ? deps.serveModel(post, clientIp, "responses", undefined, undefined, beforehand, {
                held: turn.continued,
                answered,
                failing,
              })
            : prepare(post, clientIp, turn, beforehand);
        },
        maxBody: deps.maxBody,
        refuse: (error, message) => refusedTurn(message, badRequest(error.message, error.param ?? undefined)),
        notRun: (message, why) => void refusedTurn(message, why),
      });
      // Every turn is authenticated again; this closes the connection itself when its key ends.
      const release = deps.sessions?.hold(
        principal.keyId,
        (reason) => raw.close(KEY_ENDED, credentialEnded(reason, principal.via)),
        principal.expiresAt ?? null,
      );
      // A reload that removes the caller's tenant closes it too: each turn would be refused (401).
      const tenantEnded = () => raw.close(KEY_ENDED, tenantRemoved(principal.via));
      const held = deps.holds?.hold(principal, tenantEnded);
      sessions.set(raw, { session, ...(release ? { release } : {}), ...(held ? { held } : {}) });
      // A reload between the upgrade's admission and `hold` told no connection: judged here once, as
      // a reload judges it (last, so that the close finds every release set).
      if (deps.holds && deps.holds.bound(principal) === undefined) tenantEnded();
    },
    message(ws, message) {
      sessions.get(ws.raw)?.session.message(message);
    },
    close(ws) {
      const live = sessions.get(ws.raw);
      live?.session.closed();
      live?.release?.();
      live?.held?.();
      sessions.delete(ws.raw);
    },
  });
}
