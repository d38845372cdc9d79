import { expect, test } from "bun:test";
import type { RequestLedger } from "../http/request-ledger.ts";
import { RequestTelemetry } from "./request-telemetry.ts";

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const info = { route: "provider:a", vendor: "openai", upstreamModel: "up", retry: 0, failover: false };

/** The trace context each attempt sends upstream with nothing traced, for what the client sent. */
function sent(traceparent: string | null, tracestate: string | null) {
  const ledger = { model: "m", traceparent, tracestate } as RequestLedger;
  const { traceparent: parent, tracestate: state } = new RequestTelemetry(
    ledger,
    undefined,
    undefined,
  ).attempt(info, 0);
  return [parent === undefined ? undefined : String(parent), state];
}

test("with nothing traced, the caller's tracestate goes on unchanged beside its traceparent", () => {
  expect(sent(TRACEPARENT, "congo=1, rojo=2")).toEqual([TRACEPARENT, "congo=1, rojo=2"]);
  expect(sent(TRACEPARENT, null)).toEqual([TRACEPARENT, undefined]);
  // A malformed one is not passed on; neither is one beside a malformed traceparent.
  expect(sent(TRACEPARENT, "congo=1,congo=2")).toEqual([TRACEPARENT, undefined]);
  expect(sent("garbage", "congo=1")).toEqual([undefined, undefined]);
});
