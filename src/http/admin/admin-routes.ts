import { Elysia } from "elysia";
import { z } from "zod";
import { EXPORT_CONTENT_TYPE, exportAuditStream } from "../../audit/audit-export.ts";
import { queryAudit } from "../../audit/audit-query.ts";
import { auditQuerySchema } from "../../audit/audit-query-schema.ts";
import type { AuditService } from "../../audit/audit-service.ts";
import { sseStream } from "../../audit/sse-stream.ts";
import { requireRole } from "../../auth/roles.ts";
import { clientOf } from "../client-of.ts";
import type { createFrontDoor, Guarded } from "../front-door.ts";
import { parseInput, queryOf } from "../parse-input.ts";
import { whenDone } from "../when-done.ts";

export interface AdminDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  readonly audit: AuditService;
  /** Config version, last reload error, audit health, workers: what an operator checks first. */
  readonly status: () => object;
  readonly workers: () => object;
}

const exportSchema = z.object({ format: z.enum(["ndjson", "csv"]).default("ndjson") }).loose();

type Handler = (guarded: Guarded, request: Request) => Promise<Response> | Response;

/** `/admin/api/*`: admin role only, errors in OpenAI's shape, every call audited. */
export function adminRoutes(deps: AdminDeps) {
  const admin =
    (handle: Handler) =>
    ({ request, server }: { request: Request; server: Parameters<typeof clientOf>[0] }) =>
      deps.guard(request, clientOf(server, request), "admin", "openai", async (guarded) => {
        requireRole(guarded.principal, "admin");
        return handle(guarded, request);
      });

  return new Elysia({ prefix: "/admin/api" })
    .get(
      "/audit",
      admin(async ({ headers }, request) =>
        Response.json(await queryAudit(deps.audit.store, parseInput(auditQuerySchema, queryOf(request))), {
          headers,
        }),
      ),
    )
    .get(
      "/audit/export",
      admin(({ headers }, request) => {
        const { format, ...filter } = parseInput(exportSchema, queryOf(request));
        const parsed = parseInput(auditQuerySchema, { ...filter, order: filter.order ?? "asc" });
        const { limit: _limit, cursor: _cursor, ...rest } = parsed;
        return new Response(exportAuditStream(deps.audit.store, rest, format), {
          headers: { ...headers, "content-type": EXPORT_CONTENT_TYPE[format] },
        });
      }),
    )
    .get(
      "/events",
      admin(({ headers, deferEnd }) => {
        const end = deferEnd();
        const body = whenDone(sseStream(deps.audit.bus.subscribe()), () => end(200));
        return new Response(body, {
          headers: {
            ...headers,
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
          },
        });
      }),
    )
    .get(
      "/status",
      admin(({ headers }) => Response.json(deps.status(), { headers })),
    )
    .get(
      "/workers",
      admin(({ headers }) => Response.json(deps.workers(), { headers })),
    );
}
