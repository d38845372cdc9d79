import { servesTenant } from "../config/tenant-config.ts";
import { redirectRefusal } from "../core/redirect-refusal.ts";
import { type GatewayTarget, TAIL_USER_AGENT } from "./gateway-target.ts";
import type { HeartbeatTiming } from "./heartbeat-bounds.ts";
import { type TailWorker, workersResponseSchema } from "./tail-event.ts";

/**
 * What one read of `GET /admin/api/workers` found: the list, with the gateway's heartbeat timing
 * when it says it (an older gateway does not); `refused`, a 401 or 403, which asking again will not
 * change (a tenant member's key may tail, never read the workers); `redirected`, a redirect, never
 * followed but refused as the event stream refuses one (redirect-refusal.ts: where it leads, exit 2);
 * or `failed`, any other failure, which the next read may not meet (the pane then keeps what it has).
 */
export type WorkersRead =
  | { readonly kind: "listed"; readonly workers: TailWorker[]; readonly heartbeats?: HeartbeatTiming }
  | { readonly kind: "refused"; readonly status: number }
  | { readonly kind: "redirected"; readonly message: string }
  | { readonly kind: "failed" };

const FAILED: WorkersRead = { kind: "failed" };

/** One read of the workers list, sent with `requestId`: the tail's own call (own-calls.ts), which it hides. */
export async function fetchWorkers(
  target: GatewayTarget,
  adminKey: string,
  signal: AbortSignal,
  requestId: string,
  fetcher: typeof fetch = fetch,
): Promise<WorkersRead> {
  try {
    const response = await fetcher(target.workersUrl, {
      headers: {
        authorization: `Bearer ${adminKey}`,
        accept: "application/json",
        "user-agent": TAIL_USER_AGENT,
        "x-request-id": requestId,
      },
      signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]),
      // The operator is told where the URL leads instead (redirect-refusal.ts).
      redirect: "manual",
    });
    const redirected = redirectRefusal(response, target.workersUrl, target.label);
    if (redirected !== null) {
      await response.body?.cancel().catch(() => {});
      return { kind: "redirected", message: redirected };
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      return response.status === 401 || response.status === 403
        ? { kind: "refused", status: response.status }
        : FAILED;
    }
    const parsed = workersResponseSchema.safeParse(await response.json());
    if (!parsed.success) return FAILED;
    const { heartbeatMs, heartbeatTimeoutMs } = parsed.data;
    // A gateway from before `?tenant=` lists every tenant's: the tenant's part, as one that reads it lists.
    const workers = parsed.data.workers.filter((worker) => servesTenant(worker, target.tenant));
    return heartbeatMs === undefined || heartbeatTimeoutMs === undefined
      ? { kind: "listed", workers }
      : { kind: "listed", workers, heartbeats: { everyMs: heartbeatMs, timeoutMs: heartbeatTimeoutMs } };
  } catch {
    return FAILED;
  }
}
