import { afterAll, beforeAll, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../test/fake-upstream/canned-upstream.ts";
import { createProvider, type Gateway, type Provider, parseConfig } from "./index.ts";
import { type RecordingGateway, recordingGateway, recordOf } from "./testing/recording-gateway.ts";
import { waitFor } from "./testing/wait-for.ts";

// A stream asked for and a whole answer given: an embedder's provider that answers `{ kind: "json" }`
// to a call whose `stream` is true is failed as a built-in upstream that answers a whole JSON body
// to a stream request is (providers/http/read-reply.ts `wholeForStream`): a 502 `upstream_error`
// in the caller's dialect, failed over to the next route like any upstream failure. It was relayed
// as a 200 `application/json` answer, which the OpenAI SDK reads as an event stream and so as a
// stream of no chunk at all: an empty answer, no error, and a row that said 200.

const whole = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content: "whole answer" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
};

/** Answers every call whole, whatever it asked. */
const wholeOnly: Provider = {
  name: "whole-only",
  dialect: "openai",
  call: async () => ({ kind: "json", body: whole }),
};

let upstream: CannedUpstream;
let gw: RecordingGateway;
let gateway: Gateway;
let base = "";

beforeAll(async () => {
  upstream = startCannedUpstream();
  gw = await recordingGateway(
    parseConfig({
      storage: { path: ":memory:" },
      routing: { retries: 0 },
      providers: [
        { name: "whole-only", type: "mock" },
        { name: "demo", type: "mock" },
        { name: "lab", type: "openai", base_url: `${upstream.url}/v1` },
      ],
      models: [
        { name: "custom", routes: [{ provider: "whole-only", model: "custom" }] },
        { name: "built-in", routes: [{ provider: "lab", model: "built-in" }] },
        {
          name: "custom-then-mock",
          routes: [
            { provider: "whole-only", model: "custom" },
            { provider: "demo", model: "mock" },
          ],
        },
      ],
    }),
    undefined,
    {
      providers: (config, context) =>
        config.name === "whole-only" ? wholeOnly : createProvider(config, context),
    },
  );
  gateway = gw.gateway;
  base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});
afterAll(async () => {
  await gateway.stop();
  await upstream.stop();
});

const openai = () => new OpenAI({ baseURL: `${base}/v1`, apiKey: gw.adminKey, maxRetries: 0 });

/** The OpenAI SDK's stream of `model`: its chunks' text, or the error it threw. */
async function streamed(model: string): Promise<{ text: string } | { status: unknown; message: string }> {
  try {
    const stream = await openai().chat.completions.create({
      model,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    return { text };
  } catch (error) {
    return { status: (error as { status?: unknown }).status, message: String((error as Error).message) };
  }
}

test("a custom provider's whole answer to a stream request is the 502 a built-in upstream's is, in each caller's dialect, its row saying so", async () => {
  upstream.queue({ headers: { "content-type": "application/json" }, body: JSON.stringify(whole) });
  expect(await streamed("built-in")).toEqual({
    status: 502,
    message:
      "502 upstream lab answered a stream request with a whole body (application/json), not an event stream",
  });
  expect(await streamed("custom")).toEqual({
    status: 502,
    message:
      '502 upstream whole-only answered a stream request with a whole body (kind "json"), not an event stream',
  });
  const anthropic = new Anthropic({ baseURL: base, apiKey: gw.adminKey, maxRetries: 0 });
  const refused = await anthropic.messages
    .create({ model: "custom", max_tokens: 8, stream: true, messages: [{ role: "user", content: "hi" }] })
    .then(
      () => undefined,
      (error: { status?: unknown; error?: unknown; requestID?: unknown }) => ({
        status: error.status,
        error: error.error,
        requestID: error.requestID,
      }),
    );
  // The body's id is the one the `request-id` header carries (the SDK's `requestID`).
  const requestId = refused?.requestID;
  expect(requestId).toMatch(/^req_/);
  expect(refused).toEqual({
    status: 502,
    error: {
      type: "error",
      error: {
        type: "api_error",
        message:
          'upstream whole-only answered a stream request with a whole body (kind "json"), not an event stream',
      },
      request_id: requestId,
    },
    requestID: requestId,
  });
  const row = gw.finished.at(-1);
  expect([row?.status, row?.errorClass]).toEqual([502, "upstream_error"]);
});

test("a custom provider's whole answer to a whole request is answered as before; to a stream request it fails over to the next route", async () => {
  const answer = await openai().chat.completions.create({
    model: "custom",
    messages: [{ role: "user", content: "hi" }],
  });
  expect(answer.choices[0]?.message.content).toBe("whole answer");
  const failedOver = await streamed("custom-then-mock");
  expect("text" in failedOver && failedOver.text.length > 0).toBe(true);
  const response = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: "custom-then-mock",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
  await response.text();
  const row = await recordOf(gw.finished, response);
  expect([row.status, row.route, row.attempts?.map((attempt) => attempt.route)]).toEqual([
    200,
    "provider:demo",
    ["provider:whole-only", "provider:demo"],
  ]);
});

test("answered whole after the stream's keep-alive comments began (its 200 head sent): the stream ends with that 502's error event, where the whole answer was sent as one event no SDK reads as a chunk", async () => {
  let release = () => {};
  const answered = new Promise<void>((resolve) => {
    release = resolve;
  });
  let called = false;
  const slowWhole: Provider = {
    name: "slow-whole",
    dialect: "openai",
    async call() {
      called = true;
      await answered;
      return { kind: "json", body: whole };
    },
  };
  const kept = await recordingGateway(
    parseConfig({
      storage: { path: ":memory:" },
      routing: { retries: 0, stream_keepalive: "10ms" },
      providers: [{ name: "slow-whole", type: "mock" }],
      models: [{ name: "slow", routes: [{ provider: "slow-whole", model: "slow" }] }],
    }),
    undefined,
    { providers: () => slowWhole },
  );
  try {
    const { port } = kept.gateway.listen("127.0.0.1", 0);
    const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${kept.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "slow", stream: true, messages: [{ role: "user", content: "hi" }] }),
    });
    // The head came with the keep-alive comments, while the provider had not answered.
    expect(response.status).toBe(200);
    await waitFor("the provider to have the call", () => called);
    release();
    const text = await response.text();
    expect(text).not.toContain("chat.completion");
    expect(text).toEndWith(
      'data: {"error":{"message":"upstream slow-whole answered a stream request with a whole body (kind \\"json\\"), not an event stream","type":"server_error","param":null,"code":"upstream_error"}}\n\n',
    );
    const row = await recordOf(kept.finished, response);
    expect([row.status, row.errorClass]).toEqual([502, "upstream_error"]);
  } finally {
    await kept.gateway.stop();
  }
});
