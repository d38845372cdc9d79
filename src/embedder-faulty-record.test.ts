import { afterAll, beforeAll, expect, test } from "bun:test";
import { createGateway, type Gateway, type Policy, parseConfig } from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { recordingLogger } from "./testing/recording-logger.ts";
import { waitForValue } from "./testing/wait-for.ts";

// An embedder's policy whose `record` answers what is no cost, told by the caller's name: a
// JavaScript policy's NaN (a price it could not find), a text, nothing, an `async record` (whose
// rejection was left unhandled, which ends a Bun process). The answer is the caller's as usual, its
// audit row is written with cost 0 (a NaN cost made SQLite refuse the row, silently), and the
// failure is logged with the request id, as a `record` that throws is.

// Each made anew a call, as an `async record`'s promise is: only the gateway may handle it.
const answers: Record<string, () => unknown> = {
  NaN: () => Number.NaN,
  Infinity: () => Number.POSITIVE_INFINITY,
  // A refund is no cost: it was stored as it came, a row `mindgw audit import` refuses to read back
  // (`costUsd` must be at least 0) and that took its amount off the tenant's summed spend.
  "a negative cost": () => -0.5,
  "a shared charge of a negative cost": () => ({ costUsd: -1, counted: Promise.resolve() }),
  text: () => "0.5",
  nothing: () => undefined,
  "a promised cost": async () => 0.5,
  "a rejected promise": async () => {
    throw new Error("the ledger is down");
  },
  "a shared charge of no cost, its count failed": () => ({
    costUsd: Number.NaN,
    counted: Promise.reject(new Error("the counters are down")),
  }),
};

const policy: Policy = {
  admit: () => ({}),
  record: (principal) => {
    const answer = answers[principal.name];
    return (answer ? answer() : 0.25) as number;
  },
};

const { logger, lines } = recordingLogger();
const unhandled: unknown[] = [];
const count = (reason: unknown) => unhandled.push(reason);
let gateway: Gateway;
beforeAll(async () => {
  process.on("unhandledRejection", count);
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      audit: { flush_ms: 10 },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
    }),
    auth: async (headers) => ({
      ...jwtCaller,
      name: headers.get("authorization")?.replace(/^Bearer /, "") ?? "",
    }),
    policy,
    logger,
  });
});
afterAll(async () => {
  await gateway.stop();
  process.off("unhandledRejection", count);
});

const ask = (token: string, stream: boolean) =>
  gateway.handle(
    new Request("http://gw/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ model: "mock", stream, messages: [{ role: "user", content: "hi" }] }),
    }),
  );
const storedRow = (id: string) =>
  waitForValue(`the stored audit row of ${id}`, async () =>
    (await gateway.storage.audit.select({ order: "asc", bodies: false }, null, 500)).find(
      (entry) => entry.record.requestId === id,
    ),
  );

for (const token of Object.keys(answers))
  for (const stream of [false, true])
    test(`a record that returns ${token} (${stream ? "stream" : "whole answer"}): answered, its row stored at cost 0, the failure logged`, async () => {
      const answer = await ask(token, stream);
      expect(answer.status).toBe(200);
      await answer.text();
      const id = answer.headers.get("x-request-id") ?? "";
      const row = await storedRow(id);
      expect({ status: row.record.status, cost: row.record.costUsd }).toEqual({ status: 200, cost: 0 });
      const logged = lines.find(
        (line) => line.fields?.request_id === id && line.message === "recording a request's usage failed",
      );
      expect(String(logged?.fields?.error)).toContain("the embedder's policy (record) returned no cost");
      // A good record's cost is kept as it said.
      const good = await ask("good", stream);
      await good.text();
      expect((await storedRow(good.headers.get("x-request-id") ?? "")).record.costUsd).toBe(0.25);
      expect(unhandled).toEqual([]);
    });

// A SharedCharge whose count failed (its promise rejects, where the contract asks it to settle):
// the answer, whole and charged, is the caller's all the same; once a 500, or a stream's end
// replaced by an error event, each charged as answered, so a caller asking again paid twice.
answers["a shared charge whose count failed"] = () => ({
  costUsd: 0.5,
  counted: Promise.reject(new Error("the counters are down")),
});
for (const stream of [false, true])
  test(`a SharedCharge whose counted rejects (${stream ? "stream" : "whole answer"}): the answer stands, its cost recorded, the failure logged`, async () => {
    const answer = await ask("a shared charge whose count failed", stream);
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(text).not.toContain("internal_error");
    if (stream) expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    const id = answer.headers.get("x-request-id") ?? "";
    const row = await storedRow(id);
    expect({ status: row.record.status, cost: row.record.costUsd }).toEqual({ status: 200, cost: 0.5 });
    const logged = lines.find(
      (line) =>
        line.fields?.request_id === id && line.message.startsWith("counting a request's charge failed"),
    );
    expect(String(logged?.fields?.error)).toContain("the counters are down");
    expect(unhandled).toEqual([]);
  });
