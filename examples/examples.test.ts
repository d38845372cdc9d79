import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { waitForValue } from "../src/testing/wait-for.ts";
import { startFakeUpstream } from "../src/workers/testing/fake-upstream.ts";
import { runWorker } from "../src/workers/worker/worker-client.ts";
import * as customAuth from "./custom-auth.ts";
import * as eventSink from "./custom-event-sink.ts";
import * as customPolicy from "./custom-policy.ts";
import * as customProvider from "./custom-provider.ts";
import * as embed from "./embed-in-bun-app.ts";

setDefaultTimeout(20_000);

// Every example in examples/, started as its file starts it and driven over a real loopback
// socket with the official SDKs (docs/EMBEDDING.md walks through them).
const stops: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const ask = (client: OpenAI, model: string, content = "hello there") =>
  client.chat.completions.create({ model, messages: [{ role: "user", content }] });

describe("examples", () => {
  test("embed-in-bun-app: the app's own route and the gateway side by side", async () => {
    const app = await embed.start();
    stops.push(app.stop);
    expect(await (await fetch(`${app.url}/hello`)).text()).toBe("hello from my app\n");
    const client = new OpenAI({ apiKey: app.adminKey, baseURL: `${app.url}/v1`, maxRetries: 0 });
    expect((await ask(client, "mock")).choices[0]?.message.content).toBeTruthy();
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(["mock"]);
  });

  test("embed-in-bun-app: a worker dials in through the app's own port, and its model is served", async () => {
    const app = await embed.start();
    stops.push(app.stop);
    const upstream = startFakeUpstream(["llama-small"]);
    stops.push(() => upstream.stop());
    const stop = new AbortController();
    const exit = runWorker({
      connect: app.url.replace("http", "ws"),
      token: app.adminKey,
      upstream: `${upstream.url}/v1`,
      models: ["llama-small"],
      concurrency: 4,
      name: "gpu-1",
      labels: {},
      log: () => {},
      handleSignals: false,
      stop: stop.signal,
      backoff: { baseMs: 20, capMs: 100 },
      drainTimeoutMs: 5_000,
    });
    stops.unshift(async () => {
      stop.abort();
      await exit;
    });
    const client = new OpenAI({ apiKey: app.adminKey, baseURL: `${app.url}/v1`, maxRetries: 0 });
    await waitForValue("the worker's model listed", async () =>
      (await client.models.list()).data.some((model) => model.id === "llama-small"),
    );
    expect((await ask(client, "llama-small")).choices[0]?.message.content).toBeTruthy();
  });

  test("custom-provider: non-stream and stream, and an Anthropic caller translated onto it", async () => {
    const gw = await customProvider.start();
    stops.push(gw.stop);
    const client = new OpenAI({ apiKey: gw.adminKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect((await ask(client, "backwards", "abc def")).choices[0]?.message.content).toBe("fed cba");
    let streamed = "";
    const stream = await client.chat.completions.create({
      model: "backwards",
      messages: [{ role: "user", content: "one two" }],
      stream: true,
    });
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? "";
    expect(streamed).toBe("owt eno");
    const anthropic = new Anthropic({ apiKey: gw.adminKey, baseURL: gw.url, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: "backwards",
      max_tokens: 16,
      messages: [{ role: "user", content: "xyz" }],
    });
    expect(message.content[0]).toMatchObject({ type: "text", text: "zyx" });
  });

  test("custom-auth: tokens from the internal service get in, as who it says; others get 401", async () => {
    const gw = await customAuth.start();
    stops.push(gw.stop);
    const alice = new OpenAI({ apiKey: "tok-alice", baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect((await ask(alice, "mock")).choices.length).toBe(1);
    const forbidden = await fetch(`${gw.url}/admin/api/status`, {
      headers: { authorization: "Bearer tok-alice" },
    });
    expect(forbidden.status).toBe(403);
    const ops = await fetch(`${gw.url}/admin/api/status`, { headers: { authorization: "Bearer tok-ops" } });
    expect(ops.status).toBe(200);
    // Its team is "default": the admin is outside every tenant, as EMBEDDING.md §3 says, and reads
    // what is gateway-wide (an admin of any other team is held to it: 403 here).
    const metrics = await fetch(`${gw.url}/metrics`, { headers: { authorization: "Bearer tok-ops" } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("mindgw_");
    const stranger = new OpenAI({ apiKey: "tok-nobody", baseURL: `${gw.url}/v1`, maxRetries: 0 });
    expect(await ask(stranger, "mock").catch((e: unknown) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  test("custom-event-sink: each finished request is a line in the file, flushed on stop", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mindgw-sink-"));
    const path = join(dir, "events.ndjson");
    const gw = await eventSink.start(path);
    try {
      const client = new OpenAI({ apiKey: gw.adminKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
      const { response } = await client.chat.completions
        .create({ model: "mock", messages: [{ role: "user", content: "hi" }] })
        .withResponse();
      const id = response.headers.get("x-request-id");
      await gw.stop();
      const lines = readFileSync(path, "utf8").trim().split("\n");
      const events = lines.map((line) => JSON.parse(line) as { type: string; record: { requestId: string } });
      expect(events.every((e) => e.type === "request.finished")).toBe(true);
      expect(events.some((e) => e.record.requestId === id)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("custom-policy: a daily quota (429 with Retry-After) and office hours for one model (403)", async () => {
    let now = Date.parse("2026-11-30T10:00:00Z");
    const gw = await customPolicy.start(() => now);
    stops.push(gw.stop);
    const client = new OpenAI({ apiKey: gw.adminKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const first = await client.chat.completions
      .create({ model: "mock", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(first.response.headers.get("x-quota-remaining")).toBe("2");
    await ask(client, "big-model");
    await ask(client, "mock");
    const refused = await ask(client, "mock").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after")).toBe(
      String(14 * 3600),
    );
    now = Date.parse("2026-12-01T20:00:00Z"); // the next day, after hours
    expect((await ask(client, "mock")).choices.length).toBe(1);
    expect(await ask(client, "big-model").catch((e: unknown) => e)).toBeInstanceOf(
      OpenAI.PermissionDeniedError,
    );
  });
});
