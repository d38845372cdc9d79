import { describe, expect, test } from "bun:test";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// Faults around a stream that are nobody's fault but the client's or the gateway's own.
// The idle bound is long enough that the fake upstream (in this test's own process) is not
// starved past it on a loaded machine (300 ms fired at load 16): what is tested is that a
// client holding the stream for three bounds does not trip it.
const IDLE_MS = 1000;
const KEEP_ALIVE_MS = 200;
/** A Responses API upstream (`responses_api: true`): answers the writes a test queues. */
let responsesUp: CannedUpstream;
const f = gatewayFixture({
  config: (fakeUrl, { own }) => {
    responsesUp = own(startCannedUpstream());
    return {
      server: { max_body: "1MB" },
      providers: [
        { name: "fake", type: "openai", base_url: `${fakeUrl}/v1` },
        { name: "fake-anthropic", type: "anthropic", base_url: fakeUrl },
        { name: "responses-up", type: "openai", base_url: `${responsesUp.url}/v1`, responses_api: true },
      ],
      models: [
        { name: "fake-model", routes: [{ provider: "fake", model: "fake-model" }] },
        { name: "claude", routes: [{ provider: "fake-anthropic", model: "claude-fake" }] },
        { name: "resp", routes: [{ provider: "responses-up", model: "up-resp" }] },
        // The same, its calls copied to a shadow (the echo fake, so the copy takes no queued answer).
        {
          name: "resp-shadowed",
          routes: [{ provider: "responses-up", model: "up-resp" }],
          shadow: { provider: "fake", model: "fake-model", sample: 1 },
        },
        // Response headers due within one and a half keep-alive intervals.
        {
          name: "short-connect",
          routes: [
            { provider: "fake", model: "fake-model", timeouts: { connect: `${KEEP_ALIVE_MS * 1.5}ms` } },
          ],
        },
      ],
      routing: {
        retries: 0,
        timeouts: { idle: `${IDLE_MS}ms` },
        max_upstream_body: "64KB",
        stream_keepalive: `${KEEP_ALIVE_MS}ms`,
      },
    };
  },
});

const STACK_LINE = /^\s+at .+\(.*:\d+:\d+\)$|\$bunfs|\/src\/.+\.ts:\d+/m;

describe("a client that stops reading", () => {
  test("is not an upstream timeout: the stream resumes whole and is audited as a success", async () => {
    const before = f.gw.stderr.all.length;
    const response = await fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(f.adminKey),
      // About 16 MB of events (one per word): far more than the socket buffers between the
      // gateway and this client hold, so the relay really waits on the client.
      body: chatBody("fake-model", "a ".repeat(120_000), { stream: true }),
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let tail = decoder.decode((await reader.read()).value);
    // The stimulus, not a synchronisation: the client holds the stream for three idle bounds.
    await Bun.sleep(IDLE_MS * 3);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // Keep only the end: the whole answer is large, and only how it ends matters here.
      tail = (tail + decoder.decode(value)).slice(-4096);
    }
    expect(tail).toContain("data: [DONE]");
    expect(tail).not.toContain('"error"');
    const row = await auditRow(f.gw, response.headers.get("x-request-id") ?? "");
    expect(row.status).toBe(200);
    expect(f.gw.stderr.all.slice(before)).not.toMatch(STACK_LINE);
  });
});

describe("an upstream answer", () => {
  test("larger than routing.max_upstream_body is a 502, not a buffer", async () => {
    // The fake echoes the prompt: a 100 KB prompt is an answer over the 64 KB bound.
    const response = await fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: chatBody("fake-model", "b ".repeat(50_000)),
    });
    expect(response.status).toBe(502);
    const error = ((await response.json()) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("upstream_error");
    expect(error.message).toContain("max_upstream_body");
    // Within the bound, answers are unchanged.
    const small = await fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: chatBody("fake-model", "small"),
    });
    expect(small.status).toBe(200);
  });
});

describe("a stream translated into Responses events", () => {
  test("past routing.max_upstream_body ends failed (its error event, then response.failed), as a whole answer that large is a 502; a chat stream of it is relayed", async () => {
    // The answer is gathered for the last events (and the store): no more than a whole answer may be.
    const input = "c ".repeat(50_000);
    const response = await fetch(f.url("/v1/responses"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: JSON.stringify({ model: "fake-model", input, stream: true, store: false }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain("response.completed");
    expect(lastEvent(text, -2)).toStartWith("event: error\n");
    expect(lastEventData(text, -2)).toMatchObject({
      type: "error",
      code: "upstream_error",
      message: expect.stringContaining("routing.max_upstream_body"),
    });
    expect(lastEventData(text)).toMatchObject({
      type: "response.failed",
      response: { model: "fake-model", status: "failed", error: { code: "upstream_error" } },
    });
    expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(502);
    // A chat stream holds nothing of the answer: relayed whole.
    const chat = await fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: chatBody("fake-model", input, { stream: true }),
    });
    expect((await chat.text()).endsWith("data: [DONE]\n\n")).toBe(true);
  });
});

describe("a same-dialect stream that breaks its own format", () => {
  const stream = (marker: string) =>
    fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: chatBody("fake-model", `one two three four [[fake:${marker}]]`, { stream: true }),
    });

  test("ending without [DONE] is told to the client and audited as a failure", async () => {
    const response = await stream("stopAfter=3");
    const text = await response.text();
    expect(text).not.toContain("[DONE]");
    expect(text).toContain("without its end marker");
    expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(502);
  });

  test("an answer whose finish_reason and usage came but not [DONE] is complete, on chat and Responses alike", async () => {
    const response = await stream("noEnd");
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"finish_reason":"stop"');
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(text).not.toContain('"error"');
    const row = await auditRow(f.gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, errorClass: null });
    expect(row.outputTokens).toBeGreaterThan(0);

    const translated = await fetch(f.url("/v1/responses"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: JSON.stringify({ model: "fake-model", input: "one two [[fake:noEnd]]", stream: true }),
    });
    expect(translated.status).toBe(200);
    expect(await translated.text()).toContain("event: response.completed");
    const translatedRow = await auditRow(f.gw, translated.headers.get("x-request-id") ?? "");
    expect(translatedRow).toMatchObject({ status: 200 });
  });

  test("a malformed event is not relayed; the stream ends with an error event, audited as a failure", async () => {
    const response = await stream("garbageAfter=2");
    const text = await response.text();
    expect(text).not.toContain("<html>");
    expect(text).toContain("malformed stream event");
    expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(502);
  });
});

describe("a stream request answered with a whole body (an upstream that ignores `stream`)", () => {
  test("is a 502 in the caller's dialect, audited as a failure, not a 200 no SDK can read as a stream", async () => {
    const response = await fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: chatBody("fake-model", "hi [[fake:ignore-stream]]", { stream: true }),
    });
    expect(response.status).toBe(502);
    const error = ((await response.json()) as { error: { message: string; type: string } }).error;
    expect(error.message).toContain("answered a stream request with a whole body (application/json");
    expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(502);
  });

  test("translated for an Anthropic caller too: its 502 in Anthropic's shape", async () => {
    const response = await fetch(f.url("/v1/messages"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: JSON.stringify({
        model: "fake-model",
        max_tokens: 20,
        stream: true,
        messages: [{ role: "user", content: "hi [[fake:ignore-stream]]" }],
      }),
    });
    expect(response.status).toBe(502);
    const body = (await response.json()) as { type: string; error: { message: string } };
    expect(body.type).toBe("error");
    expect(body.error.message).toContain("answered a stream request with a whole body");
  });
});

describe("a 200 answer whose body is an error object", () => {
  test("is an upstream failure, not a success", async () => {
    const response = await fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: chatBody("fake-model", "hi [[fake:errorBody]]"),
    });
    expect(response.status).toBe(502);
    const error = ((await response.json()) as { error: { message: string } }).error;
    // The upstream's own words, as it said them in its 200.
    expect(error.message).toBe("fake upstream: an error in a 200 answer");
    expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(502);
  });
});

describe("a slow first token", () => {
  const slow = (marker: string) =>
    fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: chatBody("fake-model", `hello there [[fake:${marker}]]`, { stream: true }),
    });

  test("commits the stream with keep-alive comments until it comes, unbuffered by proxies", async () => {
    const response = await slow("delay=900");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    const text = await response.text();
    expect(text.startsWith(": keep-alive\n\n")).toBe(true);
    expect(text).toContain("data: [DONE]");
    const row = await auditRow(f.gw, response.headers.get("x-request-id") ?? "");
    expect(row.status).toBe(200);
    // Time to first token is the answer's, not the first keep-alive comment's.
    expect(row.ttfbMs ?? 0).toBeGreaterThanOrEqual(800);
  });

  test("a role chunk alone is no first token: kept alive until the text comes, ttfb the text's; a failure in between sends no half answer", async () => {
    // The role chunk at once, then 900 ms before the text.
    const response = await slow("chunk-delay=900");
    const text = await response.text();
    expect(text.startsWith(": keep-alive\n\n")).toBe(true);
    // The role chunk waited for the text, and went out with it: keep-alive comments before it, none
    // between it and the text's event (a comment may follow, in the quiet between later chunks).
    const role = text.indexOf('"role":"assistant"');
    expect(text.lastIndexOf(": keep-alive", role)).toBeGreaterThan(0);
    const next = text.indexOf("data: ", role);
    expect(next).toBeGreaterThan(role);
    expect(text.slice(role, next)).not.toContain(": keep-alive");
    expect(text.slice(next, text.indexOf("\n\n", next))).toContain('"content":"');
    expect(text).toContain("data: [DONE]");
    const row = await auditRow(f.gw, response.headers.get("x-request-id") ?? "");
    expect(row.status).toBe(200);
    expect(row.ttfbMs ?? 0).toBeGreaterThanOrEqual(800);
    // The upstream fails after its role chunk: the client gets the error, not an answer begun.
    const failed = await slow("chunk-delay=700,stream-error=1");
    const said = await failed.text();
    expect(said).toContain(": keep-alive");
    expect(said).toContain('"error"');
    expect(said).not.toContain('"role"');
    const failedRow = await auditRow(f.gw, failed.headers.get("x-request-id") ?? "");
    expect(failedRow.status).toBeGreaterThanOrEqual(500);
  });

  test("a client that leaves while kept alive aborts the upstream request and is audited as 499", async () => {
    // Bun aborts the request's signal before it cancels the response body, whose end releases
    // the request: the dispatch still waiting on the upstream must hear the client all the same.
    const prompt = `kept alive ${crypto.randomUUID()} [[fake:delay=30000]]`;
    const client = new AbortController();
    const response = await fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: chatBody("fake-model", prompt, { stream: true }),
      signal: client.signal,
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toStartWith(": keep-alive");
    client.abort();
    await reader.cancel().catch(() => {});
    // Within 5 s: the fake upstream's own idle bound (Bun's default, 10 s) would end it anyway.
    const upstream = await waitFor(
      "the upstream request to be abandoned",
      () => f.fake.requests.find((r) => JSON.stringify(r.body).includes(prompt) && r.aborted),
      5_000,
    );
    expect(upstream.aborted).toBe(true);
    expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(499);
  });

  test("a routing failure after the commit is the stream's error event, audited as a failure", async () => {
    const response = await slow("delay=700,status=503");
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain(": keep-alive");
    expect(text).toContain('"error"');
    const row = await auditRow(f.gw, response.headers.get("x-request-id") ?? "");
    expect(row.status).toBeGreaterThanOrEqual(500);
  });

  test("the head leaves with the first comment as the stream commits, not an interval later: a failure one and a half intervals in comes after it", async () => {
    // The upstream never answers; its connect bound (1.5 intervals) ends the routing.
    const response = await fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: bearer(f.adminKey),
      body: chatBody("short-connect", "hello there [[fake:delay=30000]]", { stream: true }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toStartWith(": keep-alive\n\n");
    expect(lastEvent(text)).toContain(`timed out waiting for response headers (${KEEP_ALIVE_MS * 1.5} ms)`);
    expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(504);
  });

  test("what translation dropped is named in the audit row, as a stream answered at once names it in its header too", async () => {
    // A chat caller on an Anthropic upstream: `seed` and `logit_bias` have nowhere to go.
    const ask = (marker: string) =>
      fetch(f.url("/v1/chat/completions"), {
        method: "POST",
        headers: bearer(f.adminKey),
        body: chatBody("claude", `hello there ${marker}`, {
          stream: true,
          seed: 7,
          logit_bias: { "50256": -100 },
        }),
      });
    const atOnce = await ask("");
    const named = atOnce.headers.get("x-mindgw-dropped");
    expect(named).toContain("logit_bias");
    await atOnce.text();
    expect((await auditRow(f.gw, atOnce.headers.get("x-request-id") ?? "")).dropped).toBe(named);
    const keptAlive = await ask("[[fake:delay=700]]");
    const text = await keptAlive.text();
    expect(text).toStartWith(": keep-alive\n\n");
    expect(text).toContain("data: [DONE]");
    // The head left before the route was known: the row alone names what was dropped.
    expect(keptAlive.headers.get("x-mindgw-dropped")).toBeNull();
    const row = await auditRow(f.gw, keptAlive.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ status: 200, dropped: named });
  });
});

/** The last event of a stream's text. */
const lastEvent = (text: string, from = -1) => text.trim().split("\n\n").at(from) ?? "";

/** The data of a stream's last event (or the one `from` counts back to), parsed. */
const lastEventData = (text: string, from = -1): unknown => {
  const last = lastEvent(text, from);
  return JSON.parse(last.slice(last.indexOf("data: ") + 6));
};

/** One Responses stream event as OpenAI writes it, numbered `sequence`. */
const responsesEvent = (type: string, sequence: number, fields: object = {}) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence, ...fields })}\n\n`;

/** The start of an answer, events 0 to 2: then the upstream goes quiet. */
const ANSWER_START = [
  responsesEvent("response.created", 0, {
    response: { id: "resp_1", object: "response", status: "in_progress" },
  }),
  responsesEvent("response.in_progress", 1, {
    response: { id: "resp_1", object: "response", status: "in_progress" },
  }),
  responsesEvent("response.output_text.delta", 2, {
    item_id: "msg_1",
    output_index: 0,
    content_index: 0,
    delta: "Hel",
  }),
].join("");

/** An upstream that says nothing more: its reply's next write never comes. */
const never = () => new Promise<string>(() => {});

const askResponses = (model: string, input: string, store = false) =>
  fetch(f.url("/v1/responses"), {
    method: "POST",
    headers: bearer(f.adminKey),
    body: JSON.stringify({ model, input, stream: true, store }),
  });

describe("a Responses stream that fails once started ends as OpenAI ends one, in sequence: its error event, then response.failed", () => {
  const STREAM = { "content-type": "text/event-stream" };

  test("relayed as it came (a native route), its upstream quiet past the idle bound: numbered after the last event relayed, the quiet kept alive between events", async () => {
    responsesUp.queue({ headers: STREAM, body: [ANSWER_START, never()] });
    const response = await askResponses("resp", "hi");
    expect(response.status).toBe(200);
    const text = await response.text();
    const said = `upstream responses-up timed out waiting for the next chunk (${IDLE_MS} ms)`;
    expect(lastEvent(text, -2)).toStartWith("event: error\n");
    expect(lastEventData(text, -2)).toEqual({
      type: "error",
      sequence_number: 3,
      code: "upstream_timeout",
      message: said,
      param: null,
    });
    // The response the upstream opened fails, as Codex reads a failure (it ignores the error event).
    expect(lastEvent(text)).toStartWith("event: response.failed\n");
    expect(lastEventData(text)).toEqual({
      type: "response.failed",
      sequence_number: 4,
      response: {
        id: "resp_1",
        object: "response",
        created_at: expect.any(Number),
        incomplete_details: null,
        status: "failed",
        error: { code: "upstream_timeout", message: said },
      },
    });
    // Quiet for five keep-alive intervals after the answer's start: commented on, after its last event.
    expect(text).toStartWith(`${ANSWER_START}: keep-alive\n\n`);
    expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(504);
  });

  test("kept alive before its first event, then quiet: numbered after the events relayed, not the comments", async () => {
    const first = Promise.withResolvers<string>();
    responsesUp.queue({ headers: STREAM, body: [first.promise, never()] });
    const response = await askResponses("resp", "hi");
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    expect(text).toStartWith(": keep-alive\n\n");
    // The stream is committed: now the upstream answers, then goes quiet.
    first.resolve(ANSWER_START);
    for (let read = await reader.read(); !read.done; read = await reader.read())
      text += decoder.decode(read.value);
    expect(text).toContain(ANSWER_START);
    expect(lastEventData(text, -2)).toMatchObject({
      type: "error",
      sequence_number: 3,
      code: "upstream_timeout",
    });
    // Failing the response the upstream opened (its id), not one of the gateway's: the comments
    // that went first open nothing.
    expect(lastEventData(text)).toMatchObject({
      type: "response.failed",
      sequence_number: 4,
      response: { id: "resp_1", status: "failed" },
    });
  });

  // However the stream reaches the client: as it came, stored first (`store` on, the API's default),
  // kept alive before its first event, or copied to a shadow.
  for (const [how, model, store, keptAlive] of [
    ["as it came", "resp", false, false],
    ["stored", "resp", true, false],
    ["kept alive first", "resp", false, true],
    ["shadowed", "resp-shadowed", false, false],
  ] as const)
    test(`relayed ${how}, its upstream ending it with a bare error event (an OpenAI-compatible server's context_length_exceeded): the response.failed Codex reads follows it, numbered after it, with the upstream's own code`, async () => {
      const tooLong = "Your input exceeds the context window of this model.";
      const said = responsesEvent("error", 3, {
        code: "context_length_exceeded",
        message: tooLong,
        param: "input",
      });
      const first = Promise.withResolvers<string>();
      responsesUp.queue({ headers: STREAM, body: keptAlive ? [first.promise, said] : [ANSWER_START, said] });
      const response = await askResponses(model, "hi", store);
      expect(response.status).toBe(200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = "";
      if (keptAlive) {
        // The stream is committed with a comment: now the upstream answers, and fails.
        text = decoder.decode((await reader.read()).value);
        expect(text).toStartWith(": keep-alive\n\n");
        first.resolve(ANSWER_START);
      }
      for (let read = await reader.read(); !read.done; read = await reader.read())
        text += decoder.decode(read.value);
      text = text.replaceAll(": keep-alive\n\n", "");
      expect(text).toBe(`${ANSWER_START}${said}${lastEvent(text)}\n\n`);
      expect(lastEvent(text)).toStartWith("event: response.failed\n");
      expect(lastEventData(text)).toMatchObject({
        type: "response.failed",
        sequence_number: 4,
        response: {
          id: "resp_1",
          status: "failed",
          error: { code: "context_length_exceeded", message: tooLong },
        },
      });
      // The 400 its code stands for, as the same refusal before the first event is answered.
      expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(400);
    });

  test("translated, its routing failing after the commit: numbered first, failing a response of the gateway's", async () => {
    const response = await askResponses("fake-model", "hello there [[fake:delay=700,status=503]]");
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toStartWith(": keep-alive\n\n");
    expect(lastEvent(text, -2)).toStartWith("event: error\n");
    expect(lastEventData(text, -2)).toMatchObject({ type: "error", sequence_number: 0 });
    expect(lastEventData(text)).toMatchObject({
      type: "response.failed",
      sequence_number: 1,
      response: {
        id: expect.stringMatching(/^resp_/),
        status: "failed",
        error: { code: "server_error", message: "fake upstream: status 503 on request" },
      },
    });
    expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBeGreaterThanOrEqual(
      500,
    );
  });
});

describe("a native Responses stream that fails for the caller's own request (response.failed: context_length_exceeded)", () => {
  const STREAM = { "content-type": "text/event-stream" };
  const TOO_LONG =
    "Your input exceeds the context window of this model. Please adjust your input and try again.";
  /** How OpenAI refuses a conversation past the window inside its stream (openai/codex#4116). */
  const refused = [
    responsesEvent("response.created", 0, {
      response: { id: "resp_2", object: "response", status: "in_progress" },
    }),
    responsesEvent("response.in_progress", 1, {
      response: { id: "resp_2", object: "response", status: "in_progress" },
    }),
    responsesEvent("response.failed", 2, {
      response: {
        id: "resp_2",
        object: "response",
        status: "failed",
        error: { code: "context_length_exceeded", message: TOO_LONG },
        usage: null,
      },
    }),
  ].join("");
  const answered = `${responsesEvent("response.created", 0, {
    response: { id: "resp_3", object: "response", status: "in_progress" },
  })}${responsesEvent("response.completed", 1, {
    response: { id: "resp_3", object: "response", status: "completed", output: [], usage: null },
  })}`;

  test("is the caller's 400 with OpenAI's code, sent once, and takes the model from nobody: another key is served after more of them than the breaker's threshold", async () => {
    const asked = responsesUp.requests.length;
    // The breaker opens at 5 failures (routing.circuit_breaker.failures): 7 are none of its business.
    for (let i = 0; i < 7; i++) {
      responsesUp.queue({ headers: STREAM, body: [refused] });
      const response = await askResponses("resp", "a very long conversation");
      expect([i, response.status, await response.json()]).toEqual([
        i,
        400,
        { error: { message: TOO_LONG, code: "context_length_exceeded" } },
      ]);
      expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(400);
    }
    // One call each: a refusal no retry or other route can mend is not sent again.
    expect(responsesUp.requests.length - asked).toBe(7);
    const { key } = await createKey(f.gw, { name: "bystander" });
    responsesUp.queue({ headers: STREAM, body: [answered] });
    const other = await fetch(f.url("/v1/responses"), {
      method: "POST",
      headers: bearer(key),
      body: JSON.stringify({ model: "resp", input: "hello", stream: true, store: false }),
    });
    expect(other.status).toBe(200);
    expect(lastEvent(await other.text())).toStartWith("event: response.completed\n");
  });
});
