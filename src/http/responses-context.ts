import type { Principal } from "../auth/principal.ts";
import type { JsonObject } from "../core/dialect.ts";
import { badRequest, GatewayError } from "../core/gateway-error.ts";
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
): Promise<ResponsesContext> {
  const previousId = body.previous_response_id;
  if (previousId !== undefined && previousId !== null && typeof previousId !== "string") {
    throw badRequest("previous_response_id must be a string", "previous_response_id");
  }
  const previous = previousId ? await store.get(principal.tenant, previousId) : null;
  if (previousId && !previous) {
    throw new GatewayError({
      status: 404,
      code: "not_found",
      message: `Previous response with id '${previousId}' not found.`,
      param: "previous_response_id",
    });
  }
  const history = previous?.items ?? [];
  const id = newResponseId();
  return {
    id,
    previous: history,
    onResponse(response) {
      if (body.store === false) return;
      const items = [...history, ...conversationItems(body, response)];
      store.save({ tenant: principal.tenant, id, response, items, createdAt: Date.now() }).catch(onSaveError);
    },
  };
}
