import type { Principal } from "../auth/principal.ts";
import { shown } from "../core/cut-words.ts";
import { describeError } from "../core/describe-error.ts";
import type { JsonObject } from "../core/dialect.ts";
import { GatewayError, unavailable } from "../core/gateway-error.ts";
import { invalidType } from "../core/invalid-type.ts";
import { refuseBackground } from "../core/refuse-background.ts";
import { refuseBadMetadata } from "../core/refuse-bad-metadata.ts";
import { refuseConversation } from "../core/refuse-conversation.ts";
import type { Logger } from "../log/logger.ts";
import type { ResponsesContext } from "../routing/adapt-dialect.ts";
import type { ResponseStore, StoredResponse } from "../storage/storage.ts";
import { newResponseId } from "../translate/responses/chat-response-to-response.ts";
import { conversationItems, inputItems } from "../translate/responses/input-items.ts";
import {
  type ItemHolders,
  withoutForeignIds,
  withReferencesResolved,
} from "../translate/responses/item-references.ts";
import { withItemIds, withoutStoredIds } from "../translate/responses/stored-item-ids.ts";
import {
  CONTAINER_RECORD_MS,
  containersAfter,
  refuseForeignContainers,
  runsInContainers,
} from "./containers-in-scope.ts";
import type { InFlightResponses } from "./in-flight-responses.ts";
import { itemsInScope, NO_HOLDERS } from "./items-in-scope.ts";
import { readableScopes, readInScopes, responseScope } from "./response-scope.ts";
import { storedConversation } from "./stored-conversation.ts";

/** How a failed save of a request's response is logged (the caller gets a 503 instead of the answer). */
export const logSaveError =
  (logger: Logger, requestId: string) =>
  (error: unknown): void =>
    logger.error("storing the response failed", { request_id: requestId, error: describeError(error) });

/** A Responses call's context as the front door holds it: where its answer is stored, and when. */
export interface StoringContext extends ResponsesContext {
  /**
   * The answer leaves only once `saved` settles: it is stored (not `store: false`, not a
   * compaction), or it may add to the record of the scope's containers (its request has a tool
   * that runs in one), which a `store: false` one waits for alone.
   */
  readonly waits: boolean;
  /**
   * The save `onResponse` started, once it has: settles when the row is written, with the failure
   * (a 503 `storage_unavailable`) when it could not be. Never rejects.
   */
  saved(): Promise<GatewayError | undefined> | undefined;
  /**
   * Reads the response as in flight in `inFlight` (in-flight-responses.ts), when it is stored, until
   * its row is written or the returned end is called: the request has ended without storing it (a
   * whole answer failed, or its client left). A stream that failed (`onFailed`) is read as failed
   * from then until its row is written, that end notwithstanding. Called by the request once it
   * holds the context, in the same run as it keeps the end: a context made for a request that had
   * already ended registers nothing.
   */
  track(inFlight: InFlightResponses | undefined): () => void;
}

/** What the caller gets instead of an answer whose save failed: it could not be continued. */
export function saveFailure(error: unknown): GatewayError {
  const why = error instanceof GatewayError ? error.message : "the response store failed";
  return unavailable(
    `the response was not stored (${why}), so it could not be continued; send it again`,
    "storage_unavailable",
  );
}

/**
 * A response the caller's connection holds in memory (the WebSocket mode's last response of a
 * lane): the conversation up to and with it, continued from without reading the store.
 */
export interface HeldResponse {
  readonly id: string;
  /** The conversation up to and with it: every input it was given, then its output. */
  readonly items: readonly JsonObject[];
  /**
   * Who holds each of `items` upstream under its id (item-references.ts), as a stored
   * conversation says: the output of a turn a provider answered natively is that provider's, every
   * other item none's, so a route serving the Responses API is sent the ids of its own items alone.
   */
  readonly holders: ItemHolders;
  /**
   * The containers the upstream's answers of the conversation ran their calls in (their output's,
   * never an input item's): what a turn continuing it may name in its tools (containers-in-scope.ts).
   * None when absent.
   */
  readonly containers?: readonly string[] | undefined;
  /**
   * The store holds it too (it was not `store: false`): a response continuing it stores its own
   * turn and names it, as over HTTP; else it stores the conversation before it with its own turn.
   */
  readonly stored: boolean;
}

export interface ContextOptions {
  /** `POST /v1/responses/compact`: never stored. */
  readonly compact?: boolean;
  /** The response the request continues, held on its connection: its `previous_response_id`. */
  readonly held?: HeldResponse | undefined;
  /**
   * Told who holds the answer upstream as it comes, before its last event reaches the caller: the
   * provider that answered natively, under its own ids, and keeps them; undefined when none does
   * (the gateway made it, by translation; or it was asked `store: false`). The last it is told is
   * the answer's (an attempt failed over tells it again). `answeredBy`: the provider that answered
   * natively, whether it keeps the answer or not (containers-in-scope.ts `vouches`).
   */
  readonly answered?: ((holder: string | undefined, answeredBy: string | undefined) => void) | undefined;
}

/**
 * A Responses WebSocket turn's part in its context: the response it continues, held on its
 * connection, and who hears who answered it, for the connection to keep with the conversation;
 * and who hears the failure the gateway ends the turn's stream with.
 */
export interface SocketTurnContext extends Pick<ContextOptions, "held" | "answered"> {
  /**
   * Told the failure the gateway writes into the turn's committed stream, right before it writes
   * it (`StreamEnds.failing`): its own (a timeout, a route's failure, an upstream's error it judged
   * on the way), whose status the socket's `error` event says. An upstream's error event relayed as
   * it came is none of these: the socket judges it where it reads it (socket-events.ts).
   */
  readonly failing?: ((error: GatewayError) => void) | undefined;
}

/**
 * What a `POST /v1/responses` call continues and where its answer goes: resolves
 * `previous_response_id` within the caller's scope (its tenant, or itself outside every tenant:
 * response-scope.ts; any other scope's id is simply unknown, OpenAI's 400
 * `previous_response_not_found`, native routes included) to the conversation its chain holds
 * (stored-conversation.ts), and stores the final response with its own turn (this request's input,
 * its output) and the id it continues, so a chain's storage grows with each turn once, not with
 * the whole conversation each time. A chain that lost a response (deleted, or pruned by retention)
 * cannot be continued: the same 400, so the client sends the whole conversation again. The answer
 * leaves only once stored (`saved`: a client may continue from it the moment it reads it, on any
 * node); `store: false` answers without storing, and waits for nothing; a compaction (`compact`)
 * is never stored. The `item_reference`s of the request are looked up in the same scope
 * (items-in-scope.ts), and in the conversation it continues; one found in neither is OpenAI's
 * 404 for an unknown item, on every route. A `conversation` (OpenAI's Conversations API) is
 * refused: the gateway keeps none; so is `background: true` (refuse-background.ts). A WebSocket turn continuing a response its connection holds
 * (`held`) takes the conversation from memory, with who holds its items upstream, and is stored as
 * the same turn over HTTP would be; the connection hears who answered it (`answered`).
 */
export async function responsesContext(
  store: ResponseStore,
  principal: Principal,
  body: JsonObject,
  onSaveError: (error: unknown) => void,
  options: ContextOptions = {},
): Promise<StoringContext> {
  const { compact = false, held, answered } = options;
  // Callers share the gateway's upstream account: an id the gateway did not give this scope must
  // not reach it, be it a response's, an item's or a conversation's.
  refuseConversation(body);
  // Nor does one run where its usage cannot be counted (refuse-background.ts).
  refuseBackground(body);
  // Nor is metadata OpenAI would refuse stored and echoed (refuse-bad-metadata.ts).
  refuseBadMetadata(body);
  // Read below as stored unless `false`: a value of another type would be stored as asked by none.
  if (body.store !== undefined && body.store !== null && typeof body.store !== "boolean")
    throw invalidType("store", "a boolean", body.store);
  const previousId = held ? held.id : body.previous_response_id;
  if (previousId !== undefined && previousId !== null && typeof previousId !== "string") {
    throw invalidType("previous_response_id", "a string", previousId);
  }
  const scope = responseScope(principal);
  const readable = readableScopes(principal, store.labelScopesClosedAt);
  const previous =
    previousId && !held
      ? await readInScopes(readable, (inScope) => storedConversation(store, inScope, previousId))
      : null;
  // Unknown to this scope is refused on every route, native ones included. In OpenAI's own words
  // (400 previous_response_not_found), which clients (Codex) read to send the whole conversation
  // again instead; so is a chain with a response gone, whose turns could only be sent upstream
  // with a gap.
  if (previousId && !held && (!previous || previous.missing))
    throw previousNotFound(previousId, previous?.missing);
  const history = held?.items ?? previous?.items ?? [];
  // The row names the response it continues when the store holds that one in the caller's own
  // scope. A held response the store does not (`store: false`) is in memory only, and one read
  // from the caller's former scope (response-scope.ts) is not where this row goes: the row holds
  // the conversation before it, and names none, so it reads back whole.
  const chainedHere = held ? held.stored : previous?.response.tenant === scope;
  const storedBefore = chainedHere ? [] : history;
  const parentId = chainedHere ? previousId : undefined;
  const input = inputItems(body.input);
  const { referenced, holders, foreign, named } = await itemsInScope(store, principal, readable, input, {
    items: history,
    holders: held?.holders ?? previous?.holders ?? NO_HOLDERS,
  });
  // Nor a container that no answer to the caller's scope ran in, named by a hosted tool, or by a
  // call in the model's context while a tool lets the upstream pick one (containers-in-scope.ts).
  const { containersSeen, noteContainers } = store;
  await refuseForeignContainers(
    body.tools,
    [history, input, referenced.values()],
    previous?.answers ?? NO_ANSWERS,
    held?.containers ?? NO_CONTAINERS,
    named,
    containersSeen &&
      ((containers) => containersSeen.call(store, scope, containers, Date.now() - CONTAINER_RECORD_MS)),
  );
  const id = newResponseId();
  const stores = body.store !== false && !compact;
  // An answer with a hosted tool's call may add to the record of the scope's containers, which the
  // answer waits for as for its save: the caller may name the container the moment it reads it.
  // Only a tool that runs in a container may (function tools alone never do).
  const notes = noteContainers !== undefined && runsInContainers(body.tools);
  // Nor does the upstream keep an answer asked `store: false`: OpenAI refuses its items' ids later
  // ("Items are not persisted when `store` is set to false"), so none of them is its to hold.
  const keptUpstream = body.store !== false;
  let saving: Promise<GatewayError | undefined> | undefined;
  // Read as in flight from when the request tracks it until its row is written (or the request
  // ends without one): not from here, where the request may have ended while the store was read.
  let ended = noEnd;
  let tracked: InFlightResponses | undefined;
  return {
    id,
    previous: withoutStoredIds(history),
    ...(referenced.size > 0 ? { referenced } : {}),
    ...(holders.size > 0 ? { itemHolders: holders } : {}),
    ...(foreign.size > 0 ? { foreignIds: foreign } : {}),
    ...(previous?.response.holder ? { previousHolder: previous.response.holder } : {}),
    ...(compact ? { compact } : {}),
    waits: stores || notes,
    saved: () => saving,
    track(inFlight) {
      if (stores && inFlight) {
        tracked = inFlight;
        ended = inFlight.begin(scope, id, body);
      }
      return ended;
    },
    onResponse(response, answeredBy) {
      // Nor one that says it kept none, the caller having asked nothing: an organisation under
      // Zero Data Retention gets `store: false` on every answer. It is stored here (a native
      // answer under the upstream's id, which the client continues from) as held by no upstream,
      // so a chain from it is sent on expanded, as a translated one is.
      const holder = keptUpstream && response.store !== false ? answeredBy : undefined;
      answered?.(holder, answeredBy);
      const noted = notes ? noteContainersOf(response, answeredBy) : undefined;
      if (!stores) {
        saving = noted;
        return;
      }
      // A native answer keeps its upstream's id: that is the id the client continues from.
      const savedId = answeredBy && typeof response.id === "string" ? response.id : id;
      saving = Promise.all([store.save(recordOf(response, savedId, holder)), noted]).then(
        () => {
          ended();
          return undefined;
        },
        (error: unknown) => {
          ended();
          onSaveError(error);
          return saveFailure(error);
        },
      );
    },
    onFailed(response) {
      // A translated stream that failed after it began: stored as OpenAI keeps a failed response
      // (read back with its status, error and output so far), its stream not waiting for the row.
      // Read as failed from here until the row is written, the request's end in between: never
      // unknown meanwhile. A save that fails is logged; the caller was told the stream's own failure.
      // Not when `onResponse` saved it already: the failure is that save's own (the store down,
      // its 503 in place of the last event), logged there; saving it again would log it twice.
      if (!stores || saving) return;
      const written = tracked ? tracked.failed(scope, id, response) : noEnd;
      void store.save(recordOf(response, id, undefined)).then(written, (error: unknown) => {
        written();
        onSaveError(error);
      });
    },
  };

  /**
   * Records the containers `response`'s calls ran in, when the provider that answered it natively
   * vouches for them (containers-in-scope.ts), for the scope to name later; nothing for an answer
   * with none. A failed write is logged: the answer goes, its containers unrecorded.
   */
  function noteContainersOf(
    response: JsonObject,
    answeredBy: string | undefined,
  ): Promise<undefined> | undefined {
    const ran = containersAfter(undefined, response, answeredBy);
    if (ran === undefined || noteContainers === undefined) return undefined;
    return noteContainers.call(store, scope, ran, Date.now()).then(
      () => undefined,
      (error: unknown) => {
        onSaveError(error);
        return undefined;
      },
    );
  }

  /** The row of this turn's `response`, stored under `savedId` (`holder`: who keeps it upstream). */
  function recordOf(response: JsonObject, savedId: string, holder: string | undefined): StoredResponse {
    // This turn alone, with what its references named: the chain before it is the previous
    // response's, read by following `previousId` back (`storedBefore`: none stored to follow).
    // An id the caller's scope does not hold is not kept either, so no chain carries it upstream.
    const asked = foreign.size > 0 ? { ...body, input: withoutForeignIds(input, foreign, "drop") } : body;
    const turn = withReferencesResolved([...storedBefore, ...conversationItems(asked, response)], referenced);
    return {
      tenant: scope,
      id: savedId,
      response,
      // Every item gets an id (its own, or one made here) for `input_items` to page by.
      items: withItemIds(turn, savedId),
      createdAt: Date.now(),
      ...(parentId ? { previousId: parentId } : {}),
      ...(holder ? { holder } : {}),
    };
  }
}

const noEnd = (): void => {};
const NO_ANSWERS: readonly StoredResponse[] = [];
const NO_CONTAINERS: readonly string[] = [];

/**
 * OpenAI's 400 for a `previous_response_id` it does not hold; `missing` names the response its
 * chain lost, when it is that one that is gone.
 */
function previousNotFound(previousId: string, missing: string | undefined): GatewayError {
  const lost = missing ? `: the response it continues, '${missing}', was deleted or has expired` : "";
  return new GatewayError({
    status: 400,
    code: "previous_response_not_found",
    message: `Previous response with id '${shown(previousId)}' not found${lost}.`,
    param: "previous_response_id",
  });
}
