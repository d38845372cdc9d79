import { describe, expect, test } from "bun:test";
import { bearer, chatBody } from "./harness/fake-config.ts";
import {
  BAD_STATE,
  CALLER_STATE,
  CLIENT,
  configFor,
  hex,
  traceparent,
  tracesFixture,
  WRITTEN_STATE,
} from "./harness/traces-fixture.ts";
import { connectFleet } from "./harness/worker-fleet.ts";

// The caller's W3C tracestate: on every span and to every upstream when traced, passed on unchanged
// when tracing is unset, a malformed one nowhere.

const traces = tracesFixture();
const { fx } = traces;

describe("traces: the caller's tracestate", () => {
  const call = (url: string, apiKey: string, model: string, headers: Record<string, string>) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { ...bearer(apiKey), ...headers },
      body: chatBody(model),
    });

  test("traced: every span carries the caller's trace state, and each upstream gets it beside the traceparent, direct and through a worker", async () => {
    for (const [model, spanCount] of [
      ["m-direct", 2],
      ["m-worker", 3],
    ] as const) {
      const traceId = hex(16);
      fx.fake.reset();
      const res = await call(fx.gw.url, traces.key, model, {
        traceparent: traceparent(traceId, hex(8)),
        tracestate: CALLER_STATE,
      });
      expect(res.status).toBe(200);
      await res.text();
      // The server span, the attempt's client span, and through a worker the worker's hop span.
      const spans = await traces.spansOf(traceId, spanCount);
      expect(spans.map((s) => [s.kind, s.traceState])).toEqual(spans.map((s) => [s.kind, WRITTEN_STATE]));
      expect(spans.filter((s) => s.kind === CLIENT)).toHaveLength(1);
      // The upstream's caller: the attempt's span, or the worker's hop.
      const caller = spans.find((s) =>
        model === "m-direct" ? s.kind === CLIENT : s.service === "mindgw-worker-test",
      );
      expect(traces.sentContext()).toEqual([[traceparent(traceId, caller?.spanId ?? "-"), WRITTEN_STATE]]);
    }
  });

  test("traced: a malformed tracestate, or one without a traceparent, reaches no span and no upstream; a well-formed one does", async () => {
    for (const model of ["m-direct", "m-worker"]) {
      const [good, bad] = [hex(16), hex(16)];
      fx.fake.reset();
      const sends: Record<string, string>[] = [
        { traceparent: traceparent(good, hex(8)), tracestate: CALLER_STATE },
        { traceparent: traceparent(bad, hex(8)), tracestate: BAD_STATE },
        { tracestate: CALLER_STATE },
      ];
      for (const headers of sends) {
        const res = await call(fx.gw.url, traces.key, model, headers);
        expect(res.status).toBe(200);
        await res.text();
      }
      const spans = await traces.spansOf(bad, model === "m-direct" ? 2 : 3);
      expect(spans.map((s) => s.traceState)).toEqual(spans.map(() => ""));
      // Each went on with the gateway's traceparent (a new trace for the last), only the first with a tracestate.
      const sent = traces.sentContext();
      expect(sent.map(([, state]) => state)).toEqual([WRITTEN_STATE, undefined, undefined]);
      expect(sent.map(([parent]) => parent?.slice(0, 35))).toEqual([
        `00-${good}`,
        `00-${bad}`,
        expect.not.stringMatching(new RegExp(`${good}|${bad}`)),
      ]);
    }
  });

  test("tracing unset: the caller's tracestate reaches the upstream unchanged beside its traceparent, direct and through a worker; a malformed one does not", async () => {
    const untraced = await fx.spawn({ config: configFor(fx.fake.url) });
    await connectFleet({ gw: untraced, defer: (stop) => fx.deferTest(stop) }, [
      { upstream: `${fx.fake.url}/v1`, name: "w-untraced", models: ["fake-model"] },
    ]);
    const apiKey = untraced.adminKey ?? "";
    const parent = traceparent(hex(16), hex(8));
    for (const model of ["m-direct", "m-worker"]) {
      fx.fake.reset();
      const sends: Record<string, string>[] = [
        { traceparent: parent, tracestate: CALLER_STATE },
        { traceparent: parent, tracestate: BAD_STATE },
        { tracestate: CALLER_STATE },
      ];
      for (const headers of sends) {
        const res = await call(untraced.url, apiKey, model, headers);
        expect(res.status).toBe(200);
        await res.text();
      }
      expect(traces.sentContext()).toEqual([
        [parent, CALLER_STATE],
        [parent, undefined],
        [undefined, undefined],
      ]);
    }
  });
});
