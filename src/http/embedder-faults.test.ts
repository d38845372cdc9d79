import { expect, test } from "bun:test";
import type { Policy } from "../auth/policy.ts";
import { waitFor } from "../testing/wait-for.ts";
import { embedderGateways } from "./testing/embedder-gateways.ts";

// An embedder's parts fail. Where the answer is already in hand (a policy's record), the answer
// still reaches its caller, the request still ends (its record written, its place given back), and
// the failure is logged with the request's id. Where no answer has gone out (a provider's events),
// the failure is an upstream's, failed over alike whichever dialect the caller speaks.
// Here a policy's record and a provider's events; a step or a store that hangs or fails:
// embedder-store-faults.test.ts.
const { gatewayWith, slow } = embedderGateways();

test("a policy whose record throws: streams and whole answers are delivered, recorded at $0, and their places given back", async () => {
  let failing = true;
  const policy: Policy = {
    admit: () => ({}),
    record() {
      if (failing) throw new Error("counter store gone");
      return 0.25;
    },
  };
  const { call, logged, finished } = await gatewayWith("record-throws", policy);
  // Three failing ends on a gateway that holds two requests at once: a request that stayed open
  // after its failed record would refuse the last ones with 503.
  for (const stream of [true, true, false]) {
    const response = await call(stream);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(stream ? "three" : "whole");
  }
  await waitFor("three requests recorded", () => finished.length === 3);
  expect(finished.map((record) => [record.status, record.costUsd])).toEqual([
    [200, 0],
    [200, 0],
    [200, 0],
  ]);
  const failures = logged.filter((line) => line.message === "recording a request's usage failed");
  expect(failures).toHaveLength(3);
  expect(failures.map((line) => line.fields?.request_id)).toEqual(finished.map((record) => record.requestId));
  expect(String(failures[0]?.fields?.error)).toContain("counter store gone");
  failing = false;
  const after = await call(false);
  expect(after.status).toBe(200);
  await after.text();
  await waitFor("the fourth request recorded", () => finished.length === 4);
  expect(finished[3]?.costUsd).toBe(0.25);
});

test("a policy that counts elsewhere too: an answer waits for its own record's counts only, not for another request's", async () => {
  const counting = Promise.withResolvers<void>();
  let records = 0;
  const policy: Policy = {
    admit: () => ({}),
    // The first request's record is on its way elsewhere until released; the others' count at once.
    record: () => (++records === 1 ? { costUsd: 0.5, counted: counting.promise } : 0.25),
  };
  const { call, finished } = await gatewayWith("counted-own", policy);
  let answered = false;
  const first = call(false).then((response) => {
    answered = true;
    return response;
  });
  await waitFor("the first request's record", () => records === 1);
  for (const stream of [false, true]) {
    const response = await call(stream);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(stream ? "three" : "whole");
  }
  expect(answered).toBe(false);
  counting.resolve();
  const response = await first;
  expect(response.status).toBe(200);
  expect(await response.text()).toContain("whole");
  await waitFor("three requests recorded", () => finished.length === 3);
  expect(finished.map((record) => record.costUsd).sort()).toEqual([0.25, 0.25, 0.5]);
});

test("a policy whose record throws: a stream answered kept alive still ends, recorded at $0", async () => {
  const policy: Policy = {
    admit: () => ({}),
    record() {
      throw new Error("counter store gone");
    },
  };
  const { call, logged, finished } = await gatewayWith("record-throws-kept-alive", policy);
  let release = () => {};
  slow.held = new Promise((resolve) => (release = resolve));
  try {
    const response = await call(true);
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    // The head went out before routing settled: a keep-alive comment, then the answer.
    expect(new TextDecoder().decode(first.value)).toStartWith(":");
    release();
    let text = "";
    for (let read = await reader.read(); !read.done; read = await reader.read())
      text += new TextDecoder().decode(read.value);
    expect(text).toContain("three");
  } finally {
    slow.held = undefined;
    release();
  }
  await waitFor("the kept-alive stream recorded", () => finished.length === 1);
  expect([finished[0]?.status, finished[0]?.costUsd]).toEqual([200, 0]);
  expect(logged.filter((line) => line.message === "recording a request's usage failed")).toHaveLength(1);
  const next = await call(false);
  expect(next.status).toBe(200);
  await next.text();
});

test("a provider's events that throw before the first one fail over alike for both dialects, the cause logged", async () => {
  const { call, logged, finished } = await gatewayWith("provider-throws");
  for (const path of ["/v1/chat/completions", "/v1/messages"]) {
    const response = await call(true, "failing-over", path);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("three");
  }
  await waitFor("both requests recorded", () => finished.length === 2);
  expect(finished.map((record) => [record.status, record.route])).toEqual([
    [200, "provider:slow"],
    [200, "provider:slow"],
  ]);
  // Each route is tried twice (`retries: 1`): four lines, each with what the provider threw.
  const failed = logged.filter(
    (line) => line.message === "route failed" && line.fields?.route === "provider:flaky",
  );
  expect(failed).toHaveLength(4);
  for (const line of failed) {
    expect([line.level, line.fields?.upstream_model]).toEqual(["warn", "m"]);
    expect(String(line.fields?.reason)).toContain("(TypeError: fetch failed)");
  }
});

test("a provider's events without usage are charged a token each but the end marker, alike for both dialects, not by the events the caller got", async () => {
  const { call, finished } = await gatewayWith("uncounted-events");
  const told: number[] = [];
  for (const path of ["/v1/chat/completions", "/v1/messages"]) {
    const response = await call(true, "m", path);
    expect(response.status).toBe(200);
    // Events, not the keep-alive comments a loaded machine's slower turns let fall due (10 ms).
    const events = (await response.text()).split("\n\n").filter((event) => event.trim() !== "");
    told.push(events.filter((event) => !event.trimStart().startsWith(":")).length);
  }
  // 6 chat events, 9 Anthropic ones: translated, its events counted as the translation read them.
  expect(told).toEqual([6, 9]);
  await waitFor("both requests recorded", () => finished.length === 2);
  // The role chunk, three words and the finish.
  expect(finished.map((record) => [record.status, record.outputTokens])).toEqual([
    [200, 5],
    [200, 5],
  ]);
});
