import { describe, expect, test } from "bun:test";
import { auditRow } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// Faults around a stream that are nobody's fault but the client's or the gateway's own.
// The idle bound is long enough that the fake upstream (in this test's own process) is not
// starved past it on a loaded machine (300 ms fired at load 16): what is tested is that a
// client holding the stream for three bounds does not trip it.
const IDLE_MS = 1000;
const f = gatewayFixture({
  config: {
    server: { max_body: "1MB" },
    routing: {
      retries: 0,
      timeouts: { idle: `${IDLE_MS}ms` },
      max_upstream_body: "64KB",
      stream_keepalive: "200ms",
    },
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
  test("past routing.max_upstream_body ends with the error event, as a whole answer that large is a 502; a chat stream of it is relayed", async () => {
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
    const last = text.trim().split("\n\n").at(-1) ?? "";
    expect(last).toStartWith("event: error\n");
    expect(JSON.parse(last.slice(last.indexOf("data: ") + 6))).toMatchObject({
      type: "error",
      code: "upstream_error",
      message: expect.stringContaining("routing.max_upstream_body"),
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
    expect(error.message).toContain("answered 200 with an error");
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
    // The role chunk waited for the text, and went out with it.
    expect(text.indexOf('"role":"assistant"')).toBeGreaterThan(text.lastIndexOf(": keep-alive"));
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
});
