import { expect } from "bun:test";
import type { GatewayEvent, NodeUnanswered } from "../../../src/audit/gateway-event.ts";
import { decodeSse } from "../../../src/core/sse.ts";

/** A reader of a gateway's live events (`/admin/api/events`), as `mindgw tail` reads them. */
export interface EventStream {
  /** Every event received so far, in order (a cluster node's stream may open saying a node did not answer). */
  readonly events: (GatewayEvent | NodeUnanswered)[];
  /** Resolves once the stream answered (200, SSE). */
  readonly ready: Promise<void>;
  close(): void;
}

/**
 * Reads the SSE stream in the background, collecting every event until closed. `query` (`?tenant=…`)
 * is sent as given; `key` reads in place of the gateway's admin key.
 */
export function listenToEvents(
  gw: { readonly url: string; readonly adminKey: string | null },
  options: { readonly query?: string; readonly key?: string } = {},
): EventStream {
  const events: (GatewayEvent | NodeUnanswered)[] = [];
  const controller = new AbortController();
  const ready = fetch(`${gw.url}/admin/api/events${options.query ?? ""}`, {
    headers: { authorization: `Bearer ${options.key ?? gw.adminKey}` },
    signal: controller.signal,
  }).then((response) => {
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    void (async () => {
      for await (const event of decodeSse(response.body!))
        events.push(JSON.parse(event.data) as GatewayEvent | NodeUnanswered);
    })().catch(() => {});
  });
  return { events, ready, close: () => controller.abort() };
}
