import type { JsonObject } from "../core/dialect.ts";
import { responseEnvelope } from "../translate/responses/response-envelope.ts";

/**
 * What a response being answered is read as: the request it answers, and when it began; or, once
 * it failed (its row still being written), the response as that row will say it.
 */
type InFlight =
  | { readonly request: JsonObject; readonly createdAt: number }
  | { readonly failed: JsonObject };

/**
 * The stored responses this node is answering now, by scope and id, until their row is written: a
 * `GET /v1/responses/{id}` of one reads OpenAI's object as its `response.created` event says it
 * (status `in_progress`, no output yet), where the store has nothing yet to answer with. Memory
 * alone, so a streamed request costs a map entry, no write: another node of a cluster does not
 * know it, and answers 404 until the row is written (docs/CLIENTS.md). The object is made when
 * read, from the request the entry holds (held by the request anyway), not per request.
 */
export class InFlightResponses {
  private readonly answering = new Map<string, InFlight>();

  /** `id`, stored in `scope` once answered, is being answered for `request`: until `end` is called. */
  begin(scope: string, id: string, request: JsonObject): () => void {
    return this.hold(keyOf(scope, id), { request, createdAt: Math.floor(Date.now() / 1000) });
  }

  /**
   * `id` of `scope` failed as `response`, its row being written: read as that (what the row will
   * say) until `end` is called, once it is. Its request ends before the row is written (a failed
   * stream does not wait for it), and that end leaves this entry in place: no read falls between.
   */
  failed(scope: string, id: string, response: JsonObject): () => void {
    return this.hold(keyOf(scope, id), { failed: response });
  }

  /** The response `id` of `scope` as it stands while being answered; null when none is. */
  read(scope: string, id: string): JsonObject | null {
    const held = this.answering.get(keyOf(scope, id));
    if (!held) return null;
    if ("failed" in held) return held.failed;
    return responseEnvelope({
      id,
      createdAt: held.createdAt,
      request: held.request,
      status: "in_progress",
      output: [],
      usage: null,
    });
  }

  /** How many are being answered (for tests: an ended request leaves none behind). */
  get size(): number {
    return this.answering.size;
  }

  /** Holds `entry` under `key` until the returned end, which takes that entry alone, not a later one. */
  private hold(key: string, entry: InFlight): () => void {
    this.answering.set(key, entry);
    return () => {
      if (this.answering.get(key) === entry) this.answering.delete(key);
    };
  }
}

// The scope's length first: a JWT's tenant claim is free text, and no two pairs make one key.
const keyOf = (scope: string, id: string): string => `${scope.length}:${scope}${id}`;
