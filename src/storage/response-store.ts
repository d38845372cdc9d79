import type { JsonObject } from "../core/dialect.ts";

/** A stored Responses API `response`, as `GET /v1/responses/{id}` and chains read it. */
export interface StoredResponse {
  /**
   * Whose response it is: the caller's tenant, or for a caller outside every tenant its own scope
   * (`default/<key id>`: http/response-scope.ts). Part of the key, so no scope reads another's.
   */
  tenant: string;
  /** `resp_…`, unique across tenants in practice, but only ever looked up with its tenant. */
  id: string;
  /** The `response` object exactly as the caller received it. */
  response: JsonObject;
  /**
   * What this response adds to its chain, oldest first: its request's input, then its output.
   * The conversation it continues is its `previousId`'s chain (`ResponseStore.chain`), so each
   * turn is stored once however long the chain grows. A response without `previousId` holds its
   * whole conversation: a chain's first, and every response stored before responses named the one
   * they continue (which held the whole conversation so far each).
   */
  items: JsonObject[];
  /** The response this one continues (its request's `previous_response_id`), in the same scope. */
  previousId?: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /**
   * The provider that holds this response upstream, when it answered natively (the Responses
   * API passed through): its `GET`/`DELETE` go there, and its chain stays there. Absent when
   * the gateway built the response by translation.
   */
  holder?: string;
}

/** A stored response with the responses it continues, as far back as they are still stored. */
export interface ResponseChain {
  /** Oldest first, ending with the response asked for. */
  responses: StoredResponse[];
  /**
   * The response the earliest of `responses` continues, when it is stored no longer (deleted,
   * pruned by retention): the chain is not whole. Absent when the chain reaches its start.
   */
  missing?: string;
}

/** Stored responses for `previous_response_id` chains and `GET /v1/responses/{id}`. */
export interface ResponseStore {
  /** Inserts or replaces the response with this tenant and id. */
  save(record: StoredResponse): Promise<void>;
  /** Null when the id is unknown for this tenant, including when another tenant holds it. */
  get(tenant: string, id: string): Promise<StoredResponse | null>;
  /**
   * The response and, following `previousId` within the tenant, every one before it, in one read
   * (a recursive query); null when the response itself is unknown. Optional: a store without it
   * is walked a `get` at a time (response-chain.ts).
   */
  chain?(tenant: string, id: string): Promise<ResponseChain | null>;
  /**
   * The id of the tenant's stored response whose `response.output` holds an item with this id
   * (an `item_reference` names an item alone, and an upstream's item ids say nothing of their
   * response); null when none does. The caller reads that response to make sure. Optional: a store
   * without it finds only the items whose ids the gateway made, and a reference to any other is
   * refused as unknown.
   */
  responseOfItem?(tenant: string, itemId: string): Promise<string | null>;
  /**
   * Records that the upstream's native answers to `tenant` (a scope, as above) ran calls in
   * `containers` (`cntr_…`), seen at `seenAt` (epoch ms): a later request of the scope may name
   * them, stored answers or not (http/containers-in-scope.ts: a `store: false` caller replaying its
   * own history). Deletes nothing: the answer waits for this write, and the record is pruned
   * apart (`forgetContainers`). Optional, with `containersSeen` and `forgetContainers`: a store
   * without them vouches for a container by the answers a request continues or names alone.
   */
  noteContainers?(tenant: string, containers: readonly string[], seenAt: number): Promise<void>;
  /**
   * Deletes up to `limit` entries of the container record, any scope's, seen last before `before`
   * (epoch ms); returns how many. The retention pass calls it (gateway/start-retention.ts).
   */
  forgetContainers?(before: number, limit: number): Promise<number>;
  /** Which of `containers` the upstream's answers to `tenant` ran calls in since `since` (epoch ms). */
  containersSeen?(tenant: string, containers: readonly string[], since: number): Promise<string[]>;
  /** Deletes one response (`DELETE /v1/responses/{id}`); false when the tenant has no such id. */
  delete?(tenant: string, id: string): Promise<boolean>;
  /**
   * When rows stopped being stored under a free tenant label (epoch ms): when the responses
   * schema's item index (migration 4, the release that made such callers' scopes per key) was
   * applied. Keys created before it still read what their label shared then; absent, no key does
   * (http/response-scope.ts).
   */
  readonly labelScopesClosedAt?: number;
  /** Deletes up to `limit` responses created before `before` (epoch ms); returns how many. */
  prune(before: number, limit: number): Promise<number>;
}
