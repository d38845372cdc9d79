import { Elysia } from "elysia";
import { EXPORT_CONTENT_TYPE, exportAuditStream } from "../../audit/audit-export.ts";
import { queryAudit } from "../../audit/audit-query.ts";
import { auditExportQuerySchema, auditQuerySchema } from "../../audit/audit-query-schema.ts";
import type { AuditService } from "../../audit/audit-service.ts";
import type { GatewayEvent, NodeUnanswered } from "../../audit/gateway-event.ts";
import { sseStream } from "../../audit/sse-stream.ts";
import type { KeySessions } from "../../auth/key-sessions.ts";
import type { CursorSeal } from "../../core/cursor-seal.ts";
import { askedTenant, tenantQuerySchema } from "../../core/tenant-filter.ts";
import type { CallerHolds } from "../../tenants/caller-holds.ts";
import { eventVisibleTo, readScope, scopedTenant } from "../../tenants/read-scope.ts";
import { eventSeen, type WorkerReader, workerReaderOf } from "../../tenants/worker-seen.ts";
import { bodyEndsRequest } from "../body-ends-request.ts";
import type { createFrontDoor, Guarded } from "../front-door.ts";
import { parseInput, queryOf } from "../parse-input.ts";
import type { Shutdown } from "../shutdown.ts";
import { whenDone } from "../when-done.ts";
import { type AdminContext, adminGuards } from "./admin-guards.ts";

/**
 * How long an export's socket may go quiet, in seconds: Bun's most. A narrow filter over a large
 * log reads page after page of rows it does not send, and `mindgw audit export` waits five minutes
 * for its next part (cli/admin-stream.ts): `server.idle_timeout` (30 s by default) would close it.
 */
const EXPORT_SOCKET_IDLE = 255;

export interface AdminDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  readonly audit: AuditService;
  /**
   * Seals the audit cursors of a reader held to its tenant (audit/audit-cursor.ts): every node of a
   * cluster opens what another sealed.
   */
  readonly cursorSeal: CursorSeal;
  /**
   * Config version, last reload error, audit health, workers: what an operator checks first. As a
   * reader of `scope` may see it (null: every tenant; else that tenant's part alone), as `workers`.
   */
  readonly status: (scope: string | null) => object;
  /** `reader`: a reader held to one tenant, shown each worker as tenants/worker-seen.ts says. */
  readonly workers: (scope: string | null, reader?: WorkerReader) => object;
  /**
   * What is open under each key and web UI session: a revoke or expiry, or the session's end, ends
   * its live event streams at once.
   */
  readonly sessions?: KeySessions;
  /**
   * The event streams open on this node, each held to what its reader may read: a reload that
   * refuses the reader, or changes what it reads, ends its stream.
   */
  readonly holds?: CallerHolds;
  /**
   * How long an event stream's socket may go quiet, in seconds: longer than its 15 s keep-alive,
   * whatever `server.idle_timeout` is (which closes a connection that long without a byte).
   */
  readonly eventsSocketIdle?: number;
  /**
   * `server.idle_timeout` in seconds: an export's socket, held while it reads (`EXPORT_SOCKET_IDLE`),
   * and an event stream's (`eventsSocketIdle`) are given it back as their answer ends. Without it,
   * neither is held.
   */
  readonly socketIdle?: number;
  /** The open requests a stop's drain deadline ends (http/shutdown.ts): an export under way among them. */
  readonly shutdown?: Shutdown;
  /**
   * On a cluster node: the other nodes' audit rows queued before now, written (or a deadline past),
   * and their requests relayed from now on (cluster/event-relay.ts `othersWritten`); settles with
   * the nodes that did not answer.
   */
  readonly writtenElsewhere?: () => Promise<readonly string[]>;
}

/** `/admin/api/*`: admin role only, errors in OpenAI's shape, every call audited. */
export function adminRoutes(deps: AdminDeps) {
  const { adminReader: admin, tenantReader: reader } = adminGuards(deps.guard);

  // Read views (`reader`): admins see every tenant; a member of a configured tenant sees only its own.
  const auditQuery = (request: Request, scope: string | null, extra: Record<string, unknown> = {}) => {
    const query = { ...queryOf(request), ...extra };
    const tenant = scopedTenant(
      scope,
      typeof query.tenant === "string" ? askedTenant(query.tenant) : undefined,
    );
    return { ...query, ...(tenant !== undefined ? { tenant } : {}) };
  };

  // The live event stream (what `mindgw tail` reads). Its socket's idle bound is lengthened once
  // the caller is admitted (an unauthenticated GET is answered at once and keeps the usual bound):
  // one door a request, on an admin path.
  const events = (context: AdminContext) =>
    reader((guarded, request, scope) => {
      // `?tenant=`: that tenant's part, as the other read views give it; another than a tenant
      // reader's own is refused (403), never answered with its own tenant's events.
      const { tenant } = parseInput(tenantQuerySchema, queryOf(request));
      const reads = scopedTenant(scope, tenant) ?? null;
      // Open for hours, serving no one: not among the requests in flight, which a drain still
      // waits for; at `server.max_event_streams` a 503.
      const end = heldSocketEnd(context, guarded.deferEndAsEventStream(), deps.eventsSocketIdle);
      return eventStream(guarded, scope, reads, end);
    })(context);
  /** `scope`: what the reader may read (a reload that changes it ends the stream); `reads`: what it asked for within it. */
  const eventStream = (
    guarded: Guarded,
    scope: string | null,
    reads: string | null,
    end: ReturnType<Guarded["deferEnd"]>,
  ) => {
    const headers = guarded.headers;
    // On a cluster node, the requests every other node takes too (cluster/event-relay.ts).
    const seesWorkers = guarded.principal.role === "admin";
    const subscription = deps.audit.bus.subscribe({
      filter: (event) => eventVisibleTo(reads, event, seesWorkers),
      relayed: true,
    });
    // A stream stays open for hours: its key revoked (or expired) ends it, as it ends the key's
    // model streams, and a web UI session's end (sign-out, expiry, its user no longer admitted)
    // ends the stream it opened; the reader's reconnect is refused.
    const release = deps.sessions?.holdFor(guarded.principal, () => subscription.close());
    // A worker's models another tenant's entries answer to, and a shared worker's load, are not
    // this reader's to read (tenants/worker-seen.ts), as the config in force says: a reload that
    // keeps the stream may scope a model anew.
    let reader = workerReaderOf(guarded.principal, scope);
    // A reload that refuses its reader, or gives it another scope to read, ends it too.
    const held = deps.holds?.hold(
      guarded.principal,
      () => subscription.close(),
      (bound) => readScope(bound) === scope,
      (bound) => {
        reader = workerReaderOf(bound, scope);
      },
    );
    // The stream has no replay, so a reader reads the log once it opens (the web UI's live mode):
    // it opens once the rows queued before it subscribed are written, or a request that finished
    // just before would be in neither (its event gone, its row still in the writer's batch); on a
    // cluster, those of every other node too, and the stream says which did not answer.
    const opensAfter = deps.writtenElsewhere
      ? Promise.all([deps.audit.queuedWritten(), deps.writtenElsewhere()]).then(([, unanswered]) =>
          unanswered.map((node): NodeUnanswered => ({ type: "node.unanswered", at: Date.now(), node })),
        )
      : deps.audit.queuedWritten().then(() => undefined);
    // Only a stream held to one tenant pays for the look-up, once an event.
    const shown =
      scope === null ? undefined : (event: GatewayEvent) => (reader ? eventSeen(event, reader) : event);
    const body = whenDone(sseStream(subscription, { opensAfter, ...(shown ? { shown } : {}) }), () => {
      release?.();
      held?.();
      end(200);
    });
    return new Response(body, {
      headers: {
        ...headers,
        // `cache-control: no-store` from `headers`, as every admin answer (admin-guards.ts).
        "content-type": "text/event-stream; charset=utf-8",
      },
    });
  };

  /**
   * `end`, its socket's idle bound `held` (`server.timeout`) until then: given `server.idle_timeout`
   * back as it ends, before the answer's last write (Bun keeps the bound a request set on its
   * connection after the answer, as http/stream-socket.ts says: a keep-alive connection after an
   * export, or an event stream its key's revoke ended, would idle on under the held one).
   */
  const heldSocketEnd = (
    { server, request }: AdminContext,
    end: ReturnType<Guarded["deferEnd"]>,
    held: number | undefined,
  ): ReturnType<Guarded["deferEnd"]> => {
    const socketIdle = deps.socketIdle;
    if (held === undefined || socketIdle === undefined) return end;
    server?.timeout?.(request, held);
    return (status, error) => {
      server?.timeout?.(request, socketIdle);
      end(status, error);
    };
  };

  return (
    new Elysia({ prefix: "/admin/api" })
      .get(
        "/audit",
        reader(async ({ headers }, request, scope) =>
          Response.json(
            await queryAudit(
              deps.audit.store,
              parseInput(auditQuerySchema, auditQuery(request, scope)),
              scope === null ? undefined : deps.cursorSeal,
            ),
            {
              headers,
            },
          ),
        ),
      )
      .get("/audit/export", (context: AdminContext) =>
        reader((guarded, request, scope) => {
          const { format, ...filter } = parseInput(auditExportQuerySchema, auditQuery(request, scope));
          const headers = { ...guarded.headers, "content-type": EXPORT_CONTENT_TYPE[format] };
          // A HEAD's body is never sent (Bun cancels it): no rows read, and it ends here, a 200,
          // not as a client that left the export.
          if (request.method === "HEAD") return new Response(null, { headers });
          // Its rows are read as the client takes them: the request (its row, a stop's drain)
          // lasts until the last one is sent, not until this hands the stream back.
          const body = exportAuditStream(deps.audit.store, filter, format);
          const end = heldSocketEnd(context, guarded.deferEnd(), EXPORT_SOCKET_IDLE);
          return new Response(bodyEndsRequest(body, end, deps.shutdown), { headers });
        })(context),
      )
      // Admins only; an admin in a tenant sees its tenant's part (its workers and the platform's).
      .get(
        "/status",
        admin(({ headers }, _request, scope) => Response.json(deps.status(scope), { headers })),
      )
      .get(
        "/workers",
        // `?tenant=`: the workers that tenant's callers may be routed to, as its admin reads them
        // (`mindgw tail --tenant`'s pane); another than a tenant admin's own is refused (403).
        admin(({ headers, principal }, request, scope) => {
          const { tenant } = parseInput(tenantQuerySchema, queryOf(request));
          const reader = workerReaderOf(principal, scope);
          return Response.json(deps.workers(scopedTenant(scope, tenant) ?? null, reader), { headers });
        }),
      )
      .get("/events", (context: AdminContext) => {
        // Its keep-alives come every 15 s: its socket is held longer than that (eventsSocketIdle).
        return events(context);
      })
  );
}
