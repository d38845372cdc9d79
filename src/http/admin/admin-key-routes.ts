import { Elysia } from "elysia";
import type { KeyAdmin } from "../../auth/key-admin.ts";
import { requireRole } from "../../auth/roles.ts";
import { isJsonObject } from "../../core/dialect.ts";
import { clientOf } from "../client-of.ts";
import type { createFrontDoor, Guarded } from "../front-door.ts";
import { readJsonBody } from "../read-json-body.ts";

export interface AdminKeyDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  readonly keyAdmin: KeyAdmin;
}

const MAX_KEY_BODY = 64 * 1024;

type Handler = (guarded: Guarded, request: Request, params: Record<string, string>) => Promise<Response>;
type Context = { request: Request; server: Parameters<typeof clientOf>[0]; params: Record<string, string> };

/**
 * `/admin/api/keys`: what `mindgw keys --gateway` calls. The same KeyAdmin as the local CLI,
 * so both enforce the same rules (admin only; nobody widens their own key).
 */
export function adminKeyRoutes(deps: AdminKeyDeps) {
  const admin =
    (handle: Handler) =>
    ({ request, server, params }: Context) =>
      deps.guard(request, clientOf(server, request), "admin", "openai", async (guarded) => {
        requireRole(guarded.principal, "admin");
        return handle(guarded, request, params);
      });
  const optionalBody = async (request: Request) =>
    request.headers.get("content-length") === "0" || !request.body ? {} : readJsonBody(request, MAX_KEY_BODY);

  return new Elysia({ prefix: "/admin/api/keys" })
    .get(
      "/",
      admin(async ({ principal, headers }, request) => {
        const url = new URL(request.url);
        const tenant = url.searchParams.get("tenant");
        const keys = await deps.keyAdmin.list(principal, {
          ...(tenant ? { tenant } : {}),
          includeRevoked: url.searchParams.get("include_revoked") === "true",
        });
        return Response.json({ keys }, { headers });
      }),
    )
    .post(
      "/",
      admin(async ({ principal, headers }, request) => {
        const issued = await deps.keyAdmin.create(principal, await readJsonBody(request, MAX_KEY_BODY));
        return Response.json(issued, { status: 201, headers });
      }),
    )
    .get(
      "/:id",
      admin(async ({ principal, headers }, _request, params) =>
        Response.json(await deps.keyAdmin.show(principal, params.id ?? ""), { headers }),
      ),
    )
    .post(
      "/:id/revoke",
      admin(async ({ principal, headers }, _request, params) =>
        Response.json(await deps.keyAdmin.revoke(principal, params.id ?? ""), { headers }),
      ),
    )
    .post(
      "/:id/rotate",
      admin(async ({ principal, headers }, request, params) => {
        const body = await optionalBody(request);
        const rotated = await deps.keyAdmin.rotate(
          principal,
          params.id ?? "",
          isJsonObject(body) ? body : {},
        );
        return Response.json(rotated, { status: 201, headers });
      }),
    );
}
