import type { Principal } from "../auth/principal.ts";
import { canUseModel } from "../auth/principal.ts";

/** `GET /v1/models` in OpenAI's shape, only the models this caller may use. */
export function modelList(names: readonly string[], principal: Principal): object {
  return {
    object: "list",
    data: names
      .filter((name) => canUseModel(principal, name))
      .map((id) => ({ id, object: "model", created: 0, owned_by: "mindgw" })),
  };
}
