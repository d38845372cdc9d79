import type { JsonObject } from "../core/dialect.ts";
import { responseEnvelope } from "../translate/responses/response-envelope.ts";

/** What a response being answered is read as: the request it answers, and when it began. */
interface InFlight {
  readonly request: JsonObject;
  readonly createdAt: number;
}

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
    const key = keyOf(scope, id);
    this.answering.set(key, { request, createdAt: Math.floor(Date.now() / 1000) });
    return () => {
      this.answering.delete(key);
    };
  }

  /** The response `id` of `scope` as it stands while being answered; null when none is. */
  read(scope: string, id: string): JsonObject | null {
    const held = this.answering.get(keyOf(scope, id));
    if (!held) return null;
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
}

// The scope's length first: a JWT's tenant claim is free text, and no two pairs make one key.
const keyOf = (scope: string, id: string): string => `${scope.length}:${scope}${id}`;
