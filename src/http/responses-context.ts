import type { Principal } from "../auth/principal.ts";
import type { JsonObject } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";
import type { ResponsesContext } from "../routing/adapt-dialect.ts";
import type { ResponseStore } from "../storage/storage.ts";
import { conversationItems, newResponseId } from "../translate/responses/chat-response-to-response.ts";

/**
 * What a `POST /v1/responses` call continues and where its answer goes: resolves
 * `previous_response_id` within the caller's tenant (any other tenant's id is simply
 * unknown: 404), and stores the final response with the whole conversation so far, so the
 * next link of the chain needs one read. `store: false` answers without storing.
 */
export async function responsesContext(
  store: ResponseStore,
  principal: Principal,
  body: JsonObject,
  onSaveError: (error: unknown) => void,
  compact = false,
): Promise<ResponsesContext> {
  if (compact) return { id: newResponseId(), previous: [], compact: true, onResponse: () => {} };
  const previousId = body.previous_response_id;
  if (previousId !== undefined && previousId !== null && typeof previousId !== "string") {
    throw badRequest("previous_response_id must be a string", "previous_response_id");
  }
  const previous = previousId ? await store.get(principal.tenant, previousId) : null;
  const history = previous?.items ?? [];
  const id = newResponseId();
  return {
    id,
    previous: history,
    ...(previousId && !previous ? { unknownPrevious: previousId } : {}),
    ...(previous?.holder ? { previousHolder: previous.holder } : {}),
    onResponse(response, holder) {
      if (body.store === false) return;
      // A native answer keeps its upstream's id: that is the id the client continues from.
      const savedId = holder && typeof response.id === "string" ? response.id : id;
      const items = [...history, ...conversationItems(body, response)];
      const record = { tenant: principal.tenant, id: savedId, response, items, createdAt: Date.now() };
      store.save(holder ? { ...record, holder } : record).catch(onSaveError);
    },
  };
}
