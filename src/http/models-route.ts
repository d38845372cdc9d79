import type { Principal } from "../auth/principal.ts";
import { allowedModels, requireArea } from "../auth/roles.ts";
import type { createFrontDoor } from "./front-door.ts";

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

export interface ModelsRouteDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  /** Every model name the current route table serves (config and connected workers). */
  readonly modelNames: () => readonly string[];
}

/** The `GET /v1/models` handler: guarded like every client call, filtered by the caller's rights. */
export function listModelsHandler(deps: ModelsRouteDeps) {
  return (request: Request, clientIp: string | null) =>
    deps.guard(request, clientIp, "models", "openai", async ({ principal, headers }) => {
      // A worker key reaches only the worker endpoint, so not even the model list.
      requireArea(principal, "models");
      return Response.json(modelList(deps.modelNames(), principal), { headers });
    });
}
