import { type GatewayTarget, TAIL_USER_AGENT } from "./gateway-target.ts";
import { type TailWorker, workersResponseSchema } from "./tail-event.ts";

/** Reads `GET /admin/api/workers`; null on any failure (the pane then keeps what it has). */
export async function fetchWorkers(
  target: GatewayTarget,
  adminKey: string,
  signal: AbortSignal,
  fetcher: typeof fetch = fetch,
): Promise<TailWorker[] | null> {
  try {
    const response = await fetcher(target.workersUrl, {
      headers: {
        authorization: `Bearer ${adminKey}`,
        accept: "application/json",
        "user-agent": TAIL_USER_AGENT,
      },
      signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]),
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      return null;
    }
    const parsed = workersResponseSchema.safeParse(await response.json());
    return parsed.success ? parsed.data.workers : null;
  } catch {
    return null;
  }
}
