import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  type Authenticator,
  createGateway,
  type EventSink,
  type Gateway,
  type GatewayEvent,
  type LogFields,
  type Logger,
  parseConfig,
} from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { waitFor } from "./testing/wait-for.ts";

// Two gateways in one process (a multi-tenant host, a test suite): nothing of one shows in the
// other by a module-level singleton — its metrics, its config and models, its events, its logs.

const admin: Authenticator = async () => ({ ...jwtCaller, role: "admin" });

interface Built {
  gateway: Gateway;
  events: GatewayEvent[];
  lines: string[];
}

async function build(name: string, extraSink?: EventSink): Promise<Built> {
  const events: GatewayEvent[] = [];
  const lines: string[] = [];
  const line = (level: string) => (message: string, fields?: LogFields) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  const logger: Logger = {
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
  };
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      providers: [{ name: `${name}-provider`, type: "mock" }],
      models: [{ name: `${name}-model`, routes: [{ provider: `${name}-provider`, model: "mock" }] }],
    }),
    auth: admin,
    logger,
    events: [{ publish: (event) => events.push(event) }, ...(extraSink ? [extraSink] : [])],
  });
  return { gateway, events, lines };
}

let alpha: Built;
let beta: Built;
beforeAll(async () => {
  alpha = await build("alpha", {
    publish() {
      throw new Error("alpha's sink fails");
    },
  });
  beta = await build("beta");
});
afterAll(async () => {
  await alpha.gateway.stop();
  await beta.gateway.stop();
});

const get = (gateway: Gateway, path: string) =>
  gateway.handle(new Request(`http://gw${path}`, { headers: { authorization: "Bearer t" } }));
/** The answer's status, its body read whole (its request's end then published). */
const chat = async (gateway: Gateway, model: string) => {
  const answer = await gateway.handle(
    new Request("http://gw/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer t" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
    }),
  );
  await answer.text();
  return answer;
};

test("two gateways in one process share no metrics, models, status, events or log lines", async () => {
  for (let i = 0; i < 3; i++) expect((await chat(alpha.gateway, "alpha-model")).status).toBe(200);
  expect((await chat(beta.gateway, "beta-model")).status).toBe(200);
  // Each gateway knows its own models alone.
  const betaModels = (await (await get(beta.gateway, "/v1/models")).json()) as { data: { id: string }[] };
  expect(betaModels.data.map((model) => model.id)).toEqual(["beta-model"]);

  // Its metrics count its own requests, providers and sinks' failures, never the other's.
  const betaMetrics = await (await get(beta.gateway, "/metrics")).text();
  const alphaMetrics = await (await get(alpha.gateway, "/metrics")).text();
  expect(alphaMetrics).toContain("alpha-model");
  expect(betaMetrics).not.toContain("alpha");
  const listenerErrors = (text: string) =>
    text
      .split("\n")
      .filter((line) => line.startsWith("mindgw_event_listener_errors_total"))
      .map((line) => Number(line.split(" ").at(-1)))
      .reduce((sum, value) => sum + value, 0);
  expect(listenerErrors(alphaMetrics)).toBeGreaterThan(0);
  expect(listenerErrors(betaMetrics)).toBe(0);

  // Its status, events and log lines are its own.
  const betaStatus = await (await get(beta.gateway, "/admin/api/status")).text();
  expect(betaStatus).not.toContain("alpha");
  await waitFor("beta's request finished", () =>
    beta.events.some((event) => event.type === "request.finished"),
  );
  expect(JSON.stringify(beta.events)).not.toContain("alpha");
  expect(beta.lines.join("\n")).not.toContain("alpha");
  expect(alpha.lines.join("\n")).toContain("alpha's sink fails");
  expect((await chat(beta.gateway, "alpha-model")).status).toBe(404);
});
