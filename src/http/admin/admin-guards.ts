import { requireRole } from "../../auth/roles.ts";
import { forbidden } from "../../core/gateway-error.ts";
import { readScope } from "../../tenants/read-scope.ts";
import { clientIpOf, type ServerLike } from "../client-of.ts";
import type { createFrontDoor, Guarded } from "../front-door.ts";

type Guard = ReturnType<typeof createFrontDoor>["guard"];

/** An Elysia route's context, as the admin routes read it. */
export interface AdminContext {
  readonly request: Request;
  readonly server: ServerLike;
  readonly params?: Record<string, string>;
}

type Answer = Promise<Response> | Response;
/** An admin-only route's handler: its path's params and the client's address for those that record them. */
export type AdminHandler = (
  guarded: Guarded,
  request: Request,
  params: Record<string, string>,
  clientIp: string | null,
) => Answer;
/** A read view's handler: `scope` is the one tenant the caller may read, or null for every tenant (an admin). */
export type ReaderHandler = (guarded: Guarded, request: Request, scope: string | null) => Answer;

/** Gateway-wide figures: not for an admin bound to one tenant. */
const wholeGatewayOnly = () =>
  forbidden("these figures are the whole gateway's: only an admin outside every tenant reads them");

/**
 * The admin routes' doors, all through the front door's guard (authenticated, audited under
 * front door `admin`, errors in OpenAI's shape). `authenticated`: any caller the guard admits
 * (the handler judges, as signing out does). `adminOnly`: the admin role alone. `tenantReader`: a
 * read view, open to a configured tenant's members for their own tenant (`readScope`), to admins
 * for every tenant. `adminReader`: a read view for the admin role alone, told the admin's scope (an
 * admin in a tenant reads only its tenant's part). `wholeGateway`: figures of every tenant
 * together, for an admin outside every tenant alone (one in a tenant is refused, 403). Each answer
 * given with the handler's `headers` says `cache-control: no-store`.
 */
export function adminGuards(guard: Guard) {
  const door =
    (handle: AdminHandler) =>
    ({ request, server, params }: AdminContext) => {
      const clientIp = clientIpOf(server, request);
      return guard(request, clientIp, "admin", "openai", async (guarded) => {
        // Keys, audit rows with their bodies, admin actions: no browser's cache keeps them, where a
        // web UI session's reads would outlast its sign-out on a shared machine's disk.
        guarded.headers["cache-control"] = "no-store";
        return handle(guarded, request, params ?? {}, clientIp);
      });
    };
  return {
    authenticated: door,
    adminOnly: (handle: AdminHandler) =>
      door((guarded, request, params, clientIp) => {
        requireRole(guarded.principal, "admin");
        return handle(guarded, request, params, clientIp);
      }),
    tenantReader: (handle: ReaderHandler) =>
      door((guarded, request) => handle(guarded, request, readScope(guarded.principal))),
    adminReader: (handle: ReaderHandler) =>
      door((guarded, request) => {
        requireRole(guarded.principal, "admin");
        return handle(guarded, request, readScope(guarded.principal));
      }),
    wholeGateway: (handle: AdminHandler) =>
      door((guarded, request, params, clientIp) => {
        requireRole(guarded.principal, "admin");
        if (readScope(guarded.principal) !== null) throw wholeGatewayOnly();
        return handle(guarded, request, params, clientIp);
      }),
  };
}
