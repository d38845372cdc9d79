import { Elysia } from "elysia";
import { requireArea } from "../auth/roles.ts";
import { notFound } from "../core/gateway-error.ts";
import type { ResponseStore } from "../storage/storage.ts";
import { clientOf } from "./client-of.ts";
import type { createFrontDoor } from "./front-door.ts";

export interface ResponsesRouteDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  readonly store: ResponseStore;
}

type Context = { request: Request; server: Parameters<typeof clientOf>[0]; params: { id: string } };

/**
 * `GET /v1/responses/{id}`: a stored response, read within the caller's tenant only. Another
 * tenant's id answers exactly like an unknown one, so ids reveal nothing across tenants.
 */
export function responsesRoutes(deps: ResponsesRouteDeps) {
  return new Elysia().get("/v1/responses/:id", ({ request, server, params }: Context) =>
    deps.guard(request, clientOf(server, request), "responses", "openai", async ({ principal, headers }) => {
      requireArea(principal, "models");
      const stored = await deps.store.get(principal.tenant, params.id);
      if (!stored) throw notFound(`Response with id '${params.id}' not found.`);
      return Response.json(stored.response, { headers });
    }),
  );
}
