import type { Principal } from "../auth/principal.ts";
import { allowedModels } from "../auth/roles.ts";

/** `GET /v1/models` in OpenAI's shape, only the models this caller may use. */
export function modelList(names: readonly string[], principal: Principal): object {
  return {
    object: "list",
    data: allowedModels(principal, names).map((id) => ({
      id,
      object: "model",
      created: 0,
      owned_by: "mindgw",
    })),
  };
}
