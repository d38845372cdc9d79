import { expect, test } from "bun:test";
import type { AuditRecord } from "../audit/audit-record.ts";
import type { Principal } from "../auth/principal.ts";
import type { JsonObject } from "../core/dialect.ts";
import type { ProviderCall } from "../providers/provider.ts";
import type { Route } from "../routing/route.ts";
import type { DispatchRequest } from "../routing/router.ts";
import { receivedAs } from "../routing/router-test-kit.ts";
import { keptAfterChurn } from "../testing/kept-after-churn.ts";
import {
  answered,
  config,
  finishedRecord,
  hanging,
  hangingCalls,
  mirrored,
  requestOf,
  route,
  runner,
} from "../testing/shadow-runner-kit.ts";
import { waitFor } from "../testing/wait-for.ts";

// The runner's own bookkeeping of calls in flight: each copy is cut off by its own timeout, a
// stop cuts off the copies still running, and every pair is recorded either way
// (src/testing/shadow-runner-kit.ts). Copies through the shadow thread:
// shadow-runner-thread.test.ts; which calls a tenant's or an app's shadow copies:
// shadow-runner-targets.test.ts.

test("requests that share a request id keep their own callers' shadows and their own pairs", async () => {
  // Two tenants' callers, each shadowed to its tenant's own route, send one x-request-id (a
  // backend passing its inbound id on does, and so may anyone): each copy goes to its caller's
  // route, and each request's record completes its own pair.
  const sent: { route: string; content: unknown }[] = [];
  const recording = (name: string): Route => ({
    ...route,
    provider: {
      name,
      dialect: "openai",
      call: (call: ProviderCall) => {
        const messages = call.body.messages as { content: unknown }[];
        sent.push({ route: name, content: messages[0]?.content });
        return Promise.reject(new Error("no answer"));
      },
    },
    key: `${name}/candidate`,
    label: `provider:${name}`,
  });
  const routes = { "team-a": recording("team-a-twin"), "team-b": recording("team-b-twin") };
  const { shadow, stored } = runner(60_000, "off", config.shadow.max_concurrent, (target) =>
    target.provider === "team-a-twin" ? routes["team-a"] : routes["team-b"],
  );
  const caller = (tenant: "team-a" | "team-b"): Principal => ({
    keyId: `key_${tenant}`,
    name: tenant,
    tenant,
    role: "user",
    models: ["*"],
    limits: {},
    via: "key",
    tenantRules: {
      bound: true,
      models: ["*"],
      shadow: { provider: `${tenant}-twin`, model: "c", sample: 1 },
    },
  });
  const ask = (content: string): DispatchRequest => {
    const request = requestOf("job-42");
    const body: JsonObject = { model: "m", messages: [{ role: "user", content }] };
    return {
      ...request,
      body,
      received: receivedAs(body),
    };
  };
  const alice = ask("alice's plan");
  const bob = ask("bob's text");
  // Both in flight at once: alice's started first, bob's ends first.
  shadow.started(alice.serial, caller("team-a"));
  shadow.started(bob.serial, caller("team-b"));
  const primary = answered();
  shadow.hook(undefined, bob, primary);
  const recordOf = (tenant: string, status: number): AuditRecord => ({
    ...finishedRecord("job-42"),
    keyName: tenant,
    tenant,
    status,
  });
  shadow.finished(recordOf("team-b", 200), bob.serial);
  shadow.hook(undefined, alice, primary);
  shadow.finished(recordOf("team-a", 201), alice.serial);
  await waitFor("both pairs", () => stored.length === 2);
  expect(sent.sort((x, y) => x.route.localeCompare(y.route))).toEqual([
    { route: "team-a-twin", content: "alice's plan" },
    { route: "team-b-twin", content: "bob's text" },
  ]);
  // Each pair is its own request's: its caller's record, its caller's route.
  expect(
    stored
      .map((pair) => [pair.tenant, pair.primary.status, pair.shadow.route])
      .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
  ).toEqual([
    ["team-a", 201, "provider:team-a-twin"],
    ["team-b", 200, "provider:team-b-twin"],
  ]);
  await shadow.close();
});

test("a request is copied when its draw is under the sample: at 0 never, at 1 always, a fraction its share", async () => {
  // The same draws for each sample, from an injected source: which requests are copied is known.
  const draws = [0, 0.2499, 0.25, 0.9, 0.999_999];
  let next = 0;
  const { shadow, stored } = runner(
    60_000,
    "off",
    64,
    undefined,
    false,
    () => draws[next++ % draws.length] ?? 0,
  );
  for (const sample of [0, 0.25, 1])
    for (const draw of draws) mirrored(shadow, `req_${sample}_${draw}`, route, undefined, sample);
  // Cut off by the stop, each copy made is recorded: the requests copied, by their ids.
  await shadow.close();
  expect(stored.map((pair) => pair.requestId).sort()).toEqual(
    ["req_0.25_0", "req_0.25_0.2499", ...draws.map((draw) => `req_1_${draw}`)].sort(),
  );
});

test("a copy that hangs is cut off by its own timeout and recorded as a 504", async () => {
  const { shadow, stored } = runner(20);
  mirrored(shadow, "req_timeout");
  expect(shadow.inFlight()).toBe(1);
  // The pair is recorded once the copy's own timeout has cut it off (the flush comes 1 ms later).
  await waitFor("the pair of the timed-out copy", () => stored.length > 0);
  expect(stored).toHaveLength(1);
  expect(stored[0]?.shadow).toMatchObject({ status: 504, errorClass: "upstream_timeout" });
  expect(stored[0]?.primary.status).toBe(200);
  expect(shadow.inFlight()).toBe(0);
  await shadow.close();
});

test("requests whose pairs were recorded are not kept alive by young collections (the runner's Maps kept them)", async () => {
  // Room for 32 copies at once (the check's warm-up sends as many).
  const { shadow, stored } = runner(60_000, "off", 64);
  const refusing: Route = {
    ...route,
    provider: { ...hanging, call: () => Promise.reject(new Error("down")) },
  };
  const recorded = new Set<string>();
  let n = 0;
  const kept = await keptAfterChurn(
    () => requestOf(`req_churn_${n++}`),
    (request) => {
      mirrored(shadow, request.requestId, refusing, request);
      return request.requestId;
    },
    (requestId) =>
      waitFor(`the pair of ${requestId}`, () => {
        for (const record of stored.splice(0)) recorded.add(record.requestId);
        return recorded.has(requestId);
      }),
  );
  // The Maps kept 168 of 500.
  expect(kept).toBeLessThan(50);
  expect(shadow.inFlight()).toBe(0);
  await shadow.close();
});

test("a token count and a compaction are never copied: no model's answer to compare", async () => {
  const { shadow, stored } = runner(60_000);
  const before = hangingCalls();
  const count: DispatchRequest = { ...requestOf("req_count"), operation: "count_tokens" };
  const compact: DispatchRequest = {
    ...requestOf("req_compact"),
    operation: "responses",
    responses: { id: "resp_1", previous: [], compact: true, onResponse: () => {} },
  };
  for (const request of [count, compact]) mirrored(shadow, request.requestId, route, request);
  expect(shadow.inFlight()).toBe(0);
  // A chat call after them is copied, and recorded alone.
  mirrored(shadow, "req_chat");
  await waitFor("the chat call's copy upstream", () => hangingCalls() === before + 1);
  await shadow.close();
  expect(stored.map((record) => record.requestId)).toEqual(["req_chat"]);
  expect(shadow.counts().ended).toEqual([{ provider: "hanging", outcome: "unavailable", count: 1 }]);
});

test("a stop cuts off the copies still in flight and records every pair before it resolves", async () => {
  const { shadow, stored } = runner(60_000);
  const before = hangingCalls();
  mirrored(shadow, "req_a");
  await waitFor("the first copy's call upstream", () => hangingCalls() === before + 1);
  // Sampled right before the stop: their calls would start on the next turn, after it.
  for (const id of ["req_b", "req_c"]) mirrored(shadow, id);
  expect(shadow.inFlight()).toBe(3);
  await shadow.close();
  // The first was cut off upstream; the other two never reached it.
  expect(hangingCalls()).toBe(before + 1);
  expect(shadow.inFlight()).toBe(0);
  expect(stored.map((record) => record.requestId).sort()).toEqual(["req_a", "req_b", "req_c"]);
  for (const record of stored)
    expect(record.shadow).toMatchObject({ status: 503, errorClass: "unavailable" });
  // Cut off, sent or not: each copy counts once as unavailable.
  expect(shadow.counts().ended).toEqual([{ provider: "hanging", outcome: "unavailable", count: 3 }]);
});
