import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { decodeSse } from "../../src/core/sse.ts";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream.ts";

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeUpstream();
});
beforeEach(() => fake.reset());
afterAll(() => fake.stop());

function chat(
  text: string,
  init: { stream?: boolean; headers?: Record<string, string>; signal?: AbortSignal } = {},
) {
  return fetch(`${fake.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...init.headers },
    body: JSON.stringify({
      model: "m",
      stream: init.stream ?? true,
      messages: [{ role: "user", content: text }],
    }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

async function dataEvents(res: Response): Promise<string[]> {
  const out: string[] = [];
  for await (const event of decodeSse(res.body!)) out.push(event.data);
  return out;
}

describe("fake upstream knobs", () => {
  test("x-fake-status header sets the status; queue and markers work the same", async () => {
    expect((await chat("x", { headers: { "x-fake-status": "429" } })).status).toBe(429);
    const queued = await fetch(`${fake.url}/_fake/next`, { method: "POST", body: '[{"status":500},{}]' });
    expect(await queued.json()).toEqual({ queued: 2 });
    expect((await chat("x")).status).toBe(500);
    expect((await chat("x")).status).toBe(200);
    expect((await chat("x [[fake:status=502]]")).status).toBe(502);
    expect(fake.requests.map((r) => r.behaviour.status)).toEqual([429, 500, undefined, 502]);
  });

  test("chunks=N gives exactly N content deltas", async () => {
    const events = await dataEvents(await chat("a [[fake:chunks=7]]"));
    const contents = events.filter((d) => d.includes('"content":"') && !d.includes('"role"'));
    expect(contents).toHaveLength(7);
    expect(events.at(-1)).toBe("[DONE]");
  });

  test("reasoning=T: reasoning_content deltas before the answer, or beside it in a whole answer", async () => {
    const streamed = await dataEvents(await chat("hi [[fake:reasoning=let me think]]"));
    const deltas = streamed
      .filter((data) => data !== "[DONE]")
      .map(
        (data) => (JSON.parse(data) as { choices: { delta: Record<string, unknown> }[] }).choices[0]?.delta,
      );
    const thought = deltas.map((delta) => delta?.reasoning_content ?? "").join("");
    expect(thought).toBe("let me think");
    const firstContent = deltas.findIndex(
      (delta) => typeof delta?.content === "string" && delta.content !== "",
    );
    expect(deltas.findLastIndex((delta) => delta?.reasoning_content)).toBeLessThan(firstContent);
    const whole = await chat("hi [[fake:reasoning=let me think]]", { stream: false });
    const { choices } = (await whole.json()) as { choices: { message: Record<string, unknown> }[] };
    expect(choices[0]?.message).toMatchObject({ reasoning_content: "let me think", content: "echo: hi" });
  });

  test("no-effort refuses an effort level as a model without one does, and nothing else", async () => {
    const post = (path: string, body: object) =>
      fetch(`${fake.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-fake-no-effort": "1" },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], ...body }),
      });
    const chat = await post("/v1/chat/completions", { reasoning_effort: "low" });
    expect([chat.status, await chat.json()]).toEqual([
      400,
      {
        error: {
          message: "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
          type: "invalid_request_error",
          param: "reasoning_effort",
          code: "unsupported_parameter",
        },
      },
    ]);
    const messages = await post("/v1/messages", { max_tokens: 5, output_config: { effort: "low" } });
    expect([messages.status, await messages.json()]).toEqual([
      400,
      {
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "This model does not support the effort parameter.",
        },
      },
    ]);
    expect((await post("/v1/messages", { max_tokens: 5 })).status).toBe(200);
  });

  test("ttfb sends the headers first with an SSE comment, then the data", async () => {
    // The data is due a minute later, so whatever the first read holds came before it, however
    // slowly this process gets to read (a short ttfb let a loaded machine coalesce both).
    const res = await chat("a", { headers: { "x-fake-ttfb": "60000" } });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe(": fake\n\n");
    await reader.cancel();
    expect((await fake.waitForAbort(5000)).id).toBe(1);
  });

  test("cut-after K resets the connection after K frames", async () => {
    const res = await chat("a b c", { headers: { "x-fake-cut-after": "2" } });
    const events: string[] = [];
    const err = await (async () => {
      for await (const event of decodeSse(res.body!)) events.push(event.data);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(events).toHaveLength(2);
    expect((await fake.waitForRequest(1)).outcome).toBe("cut");
  });

  test("stream-error K sends the dialect's error frame in a 200 stream", async () => {
    const res = await chat("a b c [[fake:stream-error=1]]");
    expect(res.status).toBe(200);
    const events = await dataEvents(res);
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[1] ?? "{}")).toMatchObject({ error: { type: "server_error" } });
  });

  test("endless-line never sends a newline; the client leaving is observed", async () => {
    const ac = new AbortController();
    const res = await chat("a", { headers: { "x-fake-endless-line": "1" }, signal: ac.signal });
    const reader = res.body!.getReader();
    let tail = "";
    let bytes = 0;
    while (bytes < 64 * 1024) {
      const { value } = await reader.read();
      bytes += value?.length ?? 0;
      tail = new TextDecoder().decode(value);
    }
    expect(tail).not.toContain("\n");
    ac.abort();
    const aborted = await fake.waitForAbort(5000);
    expect(aborted.id).toBe(1);
  });

  test("chunk-delay-from leaves the chunks before it undelayed: the role chunk and the first text at once", async () => {
    const ac = new AbortController();
    const res = await chat("a b c [[fake:chunk-delay=60000,chunk-delay-from=2]]", { signal: ac.signal });
    const seen: string[] = [];
    // Two events in, long before the minute the third waits.
    for await (const event of decodeSse(res.body!)) if (seen.push(event.data) === 2) break;
    ac.abort();
    expect(seen[0]).toContain('"role":"assistant"');
    expect(seen[1]).toContain('"content":"echo:"');
  });

  test("a client abort mid-stream settles the request as aborted", async () => {
    const ac = new AbortController();
    const res = await chat("a b c d e f", { headers: { "x-fake-chunk-delay": "200" }, signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    const rec = await fake.waitForAbort(5000);
    expect(await rec.settled).toBe("aborted");
    expect(rec.aborted).toBe(true);
  });

  test("hang never answers; the abort is observed, also through the control API", async () => {
    const ac = new AbortController();
    const pending = chat("a [[fake:hang]]", { signal: ac.signal }).catch((e: unknown) => e);
    await fake.waitForRequest(1);
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    const viaApi = await fetch(`${fake.url}/_fake/wait-abort?timeout_ms=5000`);
    expect(await viaApi.json()).toMatchObject({ id: 1, aborted: true, behaviour: { hang: true } });
  });

  test("delay holds the headers; a non-stream cut sends half the JSON", async () => {
    const delayed = await chat("a", { stream: false, headers: { "x-fake-delay": "20" } });
    expect(((await delayed.json()) as { object: string }).object).toBe("chat.completion");
    const cut = await chat("a", { stream: false, headers: { "x-fake-cut-after": "0" } });
    expect(await cut.text().catch((e: unknown) => e)).toBeInstanceOf(Error);
  });

  test("completed requests are recorded with body and outcome", async () => {
    await (await chat("hello")).text();
    const [rec] = fake.requests;
    expect(rec).toMatchObject({ method: "POST", path: "/v1/chat/completions", outcome: "completed" });
    expect(rec?.body).toMatchObject({ model: "m" });
    const listed = await (await fetch(`${fake.url}/_fake/requests`)).json();
    expect(listed).toMatchObject([{ id: 1, outcome: "completed", aborted: false }]);
  });

  test("a bad knob value is a 400", async () => {
    expect((await chat("a", { headers: { "x-fake-status": "abc" } })).status).toBe(400);
  });
});
