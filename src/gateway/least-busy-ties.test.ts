import { expect, test } from "bun:test";
import { twoRouteGateway } from "../testing/two-route-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";

// `strategy: least-busy` through the gateway, the OpenAI SDK and two canned upstreams. Routes with
// as many requests in flight took turns in config order, which, when they are all idle (sequential
// traffic, a quiet hour), sent every request to the first route: the second was never used.

const answer = (model: string) =>
  JSON.stringify({
    id: "c1",
    object: "chat.completion",
    created: 7,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: model }, finish_reason: "stop" }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
const whole = (model: string) => ({ headers: { "content-type": "application/json" }, body: answer(model) });
const chunk = (model: string, content: string) =>
  `data: ${JSON.stringify({
    id: "c1",
    object: "chat.completion.chunk",
    created: 7,
    model,
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  })}\n\n`;

const routes = twoRouteGateway("least-busy");

interface RoutingView {
  models: { routes: { provider: string; health: { inFlight: number } }[] }[];
}

/** Requests in flight on each route, as `/admin/api/routing` shows them. */
async function inFlight(): Promise<number[]> {
  const view = (await (
    await fetch(`${routes.base}/admin/api/routing`, {
      headers: { authorization: `Bearer ${routes.adminKey}` },
    })
  ).json()) as RoutingView;
  return view.models[0]?.routes.map((route) => route.health.inFlight) ?? [];
}

/** Waits until no route has a request in flight: the last answer's end has been counted. */
const idle = () =>
  waitForValue("every route idle", async () => (await inFlight()).every((n) => n === 0), 20_000);

const ask = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };

test("idle routes take turns: sequential requests are shared between them, not all sent to the first", async () => {
  const { upstreamA, upstreamB, client } = routes;
  upstreamA.queue(whole("m-a"), whole("m-a"));
  upstreamB.queue(whole("m-b"), whole("m-b"));
  const served: string[] = [];
  for (let i = 0; i < 4; i++) {
    await idle();
    served.push((await client.chat.completions.create(ask)).choices[0]?.message.content ?? "");
  }
  expect(served.sort()).toEqual(["m-a", "m-a", "m-b", "m-b"]);
  expect([upstreamA.requests.length, upstreamB.requests.length]).toEqual([2, 2]);
});

test("a stream counts as in flight until its end, not its first byte: the next request goes to the other route", async () => {
  const { upstreamA, upstreamB, client } = routes;
  await idle();
  const ends: ((write: string) => void)[] = [];
  // Each upstream holds its stream open after a first chunk naming it, until the test ends it.
  const held = (name: string) => ({
    headers: { "content-type": "text/event-stream" },
    body: [chunk(name, name), new Promise<string>((resolve) => ends.push(resolve))],
  });
  upstreamA.queue(held("m-a"));
  upstreamB.queue(held("m-b"));
  const first = (await client.chat.completions.create({ ...ask, stream: true }))[Symbol.asyncIterator]();
  const firstRoute = (await first.next()).value?.choices[0]?.delta.content;
  expect(await inFlight()).toEqual(firstRoute === "m-a" ? [1, 0] : [0, 1]);
  const second = (await client.chat.completions.create({ ...ask, stream: true }))[Symbol.asyncIterator]();
  expect((await second.next()).value?.choices[0]?.delta.content).toBe(firstRoute === "m-a" ? "m-b" : "m-a");
  expect(await inFlight()).toEqual([1, 1]);
  for (const end of ends) end("data: [DONE]\n\n");
  for (const reader of [first, second])
    for (let step = await reader.next(); !step.done; step = await reader.next());
  await idle();
});

test("a stream its client abandons midway stops counting as in flight", async () => {
  const { upstreamA, upstreamB, client } = routes;
  await idle();
  // Neither upstream ever ends its stream: the client leaves after the first chunk.
  const held = (name: string) => ({
    headers: { "content-type": "text/event-stream" },
    body: [chunk(name, name), new Promise<string>(() => {})],
  });
  upstreamA.queue(held("m-a"));
  upstreamB.queue(held("m-b"));
  const abandoned = await client.chat.completions.create({ ...ask, stream: true });
  await abandoned[Symbol.asyncIterator]().next();
  expect((await inFlight()).sort()).toEqual([0, 1]);
  abandoned.controller.abort();
  await idle();
});
