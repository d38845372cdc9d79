import { describe, expect, test } from "bun:test";
import { anthropicWireError } from "../core/anthropic-errors.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";
import { bigBody, chatWith, PHOTO, texts, tooLong } from "./testing/context-bodies.ts";

// Context-aware routing: a route whose window the request does not fit is passed over, and an
// upstream's too-long refusal is failed over as `fallback_on: [context_length]` says. What fits:
// context-fit.test.ts.

describe("context-aware routing", () => {
  const config = (fallbackOn: string[] = []) => ({
    providers: [
      { name: "small", type: "openai", base_url: "http://127.0.0.1:1/v1" },
      { name: "large", type: "openai", base_url: "http://127.0.0.1:1/v1" },
    ],
    models: [
      {
        name: "m",
        fallback_on: fallbackOn,
        routes: [
          { provider: "small", model: "s", context_window: 100 },
          { provider: "large", model: "l", context_window: 10_000 },
        ],
      },
    ],
    routing: { retries: 2, backoff: "1ms" },
  });

  test("a route whose window cannot hold the prompt is skipped before any attempt", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    const dispatched = await router(chatRequest("m", { body: bigBody(2000) }));
    expect(dispatched.route).toBe("provider:large");
    expect(small.calls.length).toBe(0);
    expect(large.calls.length).toBe(1);
  });

  test("when no route can hold it, the caller gets 400 context_length_exceeded, and no upstream is called", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    const error = await router(chatRequest("m", { body: bigBody(50_000) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect([
      (error as GatewayError).status,
      (error as GatewayError).code,
      (error as GatewayError).param,
    ]).toEqual([400, "context_length_exceeded", "messages"]);
    expect(small.calls.length + large.calls.length).toBe(0);
    // A Responses caller's conversation is its `input`.
    const responses = { model: "m", input: "x".repeat(50_000) };
    const asked = chatRequest("m", { operation: "responses", body: responses });
    expect(((await router(asked).catch((e: unknown) => e)) as GatewayError).param).toBe("input");
    // The estimate's numbers (50,004 characters with the role's, 12,501 tokens) against the largest window passed
    // over; to an Anthropic caller, the words Claude Code compacts a conversation on.
    expect((error as GatewayError).message).toStartWith(
      "This model's maximum context length is 10000 tokens. However, your messages resulted in 12501 tokens",
    );
    expect(anthropicWireError(error as GatewayError).message).toBe(
      "prompt is too long: 12501 tokens > 10000 maximum",
    );
  });

  test("images count 1,600 tokens each, their base64 never: a photo goes where the window holds it, and a refusal says so", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    const photos = (count: number) => chatRequest("m", { body: chatWith(PHOTO).body(count) });
    // A megabyte of base64 on a window of 10,000 tokens: no text to count, one image.
    expect((await router(photos(1))).route).toBe("provider:large");
    expect(small.calls.length).toBe(0);
    // Seven are 11,200 tokens, and the role's word one more.
    const error = (await router(photos(7)).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code]).toEqual([400, "context_length_exceeded"]);
    expect(error.message).toStartWith(
      "This model's maximum context length is 10000 tokens. However, your messages resulted in 11201 tokens",
    );
    expect(large.calls.length).toBe(1);
  });

  test("a text file too long for a route's window skips it: a 60 KB CSV is 15,000 tokens, not 2,300", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    const csv = `data:text/csv;base64,${Buffer.from("x".repeat(60_000)).toString("base64")}`;
    const body = chatWith({ type: "file", file: { filename: "t.csv", file_data: csv } }).body(1);
    const error = (await router(chatRequest("m", { body })).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code]).toEqual([400, "context_length_exceeded"]);
    expect(error.message).toStartWith(
      "This model's maximum context length is 10000 tokens. However, your messages resulted in 15001 tokens",
    );
    expect(small.calls.length + large.calls.length).toBe(0);
  });

  test("a prompt that fits but not with the answer asked for: the answer counted apart, and Anthropic's max_tokens words", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    // 501 tokens of prompt fit either window; with max_tokens 20,000 they fit neither (Claude Code
    // asks for 128,000 on a 131,072-token route).
    const request = chatRequest("m", { body: bigBody(2000, { max_tokens: 20_000 }) });
    const error = (await router(request).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code]).toEqual([400, "context_length_exceeded"]);
    expect(error.message).toStartWith(
      "This model's maximum context length is 10000 tokens. However, you requested 20501 tokens (501 in the messages, 20000 in the completion)",
    );
    expect(anthropicWireError(error)).toEqual({
      type: "invalid_request_error",
      message:
        "input length and `max_tokens` exceed context limit: 501 + 20000 > 10000, decrease input length or `max_tokens` and try again",
    });
    expect(small.calls.length + large.calls.length).toBe(0);
  });

  test("a batch whose inputs fit each alone goes upstream; one input too long is refused with the longest one's estimate", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    const embeddings = (input: string[]) =>
      chatRequest("m", { operation: "embeddings", body: { model: "m", input } });
    // Fifty inputs of 300 characters: 3,750 tokens together, 75 each: the small route holds each.
    expect((await router(embeddings(texts(50, 300)))).route).toBe("provider:small");
    expect(small.calls.length).toBe(1);
    const error = (await router(embeddings([...texts(5, 300), "x".repeat(50_000)])).catch(
      (e: unknown) => e,
    )) as GatewayError;
    expect([error.status, error.code, error.param]).toEqual([400, "context_length_exceeded", "input"]);
    expect(error.message).toStartWith(
      "This model's maximum context length is 10000 tokens. However, your messages resulted in 12500 tokens",
    );
    expect(small.calls.length + large.calls.length).toBe(1);
  });

  test("a route too small and one that could hold the prompt out of service: a 503 saying when to come back, not the 400 to shorten it", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large", () =>
      Promise.reject(upstreamFailure("large", { status: 503, headers: new Headers(), text: "{}" })),
    );
    const breaker = { retries: 0, circuit_breaker: { failures: 1, cooldown: "30s" } };
    const { router, health } = routerFor({ ...config(), routing: breaker }, [small, large]);
    await router(chatRequest("m", { body: bigBody(2000) })).catch(() => {});
    expect(health.isOpen("large/l")).toBe(true);
    const error = (await router(chatRequest("m", { body: bigBody(2000) })).catch(
      (e: unknown) => e,
    )) as GatewayError;
    expect([error.status, error.code, error.headers]).toEqual([
      503,
      "no_route_available",
      { "retry-after": "30" },
    ]);
    expect([small.calls.length, large.calls.length]).toEqual([0, 1]);
  });

  test("a token count goes to its first route whatever its window: the count is the answer, never a 400", async () => {
    const counted = { input_tokens: 12_510 };
    const small = {
      ...fakeProvider("small", () => Promise.resolve(jsonReply(counted))),
      dialect: "anthropic" as const,
    };
    const { router } = routerFor(config(), [small, fakeProvider("large")]);
    // 12,501 tokens by the estimate, on a route of 100.
    const dispatched = await router(chatRequest("m", { operation: "count_tokens", body: bigBody(50_000) }));
    expect([dispatched.route, dispatched.reply]).toEqual(["provider:small", { kind: "json", body: counted }]);
    expect(small.calls.length).toBe(1);
  });

  test("an upstream's context_length_exceeded fails over at once with fallback_on, without retrying the route", async () => {
    const small = fakeProvider("small", () => Promise.reject(tooLong()));
    const large = fakeProvider("large", () => Promise.resolve(jsonReply()));
    const { router } = routerFor(config(["context_length"]), [small, large]);
    const dispatched = await router(chatRequest("m"));
    expect(dispatched.route).toBe("provider:large");
    expect(small.calls.length).toBe(1);
  });

  test("an upstream's context_length_exceeded rules out the routes whose window is no larger: skipped with no call", async () => {
    const config = {
      providers: ["first", "narrower", "wider"].map((name) => ({ name, type: "openai" })),
      models: [
        {
          name: "m",
          fallback_on: ["context_length"],
          routes: [
            { provider: "first", model: "f", context_window: 10_000 },
            { provider: "narrower", model: "n", context_window: 8_000 },
            { provider: "wider", model: "w", context_window: 100_000 },
          ],
        },
      ],
    };
    const first = fakeProvider("first", () => Promise.reject(tooLong()));
    const narrower = fakeProvider("narrower");
    const wider = fakeProvider("wider", () => Promise.resolve(jsonReply()));
    const { router } = routerFor(config, [first, narrower, wider]);
    // The estimate fits every window: only the refusal rules the narrower route out.
    const dispatched = await router(chatRequest("m"));
    expect(dispatched.route).toBe("provider:wider");
    expect([first.calls.length, narrower.calls.length, wider.calls.length]).toEqual([1, 0, 1]);
  });

  test("without fallback_on the upstream's refusal is the caller's answer", async () => {
    const small = fakeProvider("small", () => Promise.reject(tooLong()));
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    const error = await router(chatRequest("m")).catch((e: unknown) => e);
    expect((error as GatewayError).code).toBe("context_length_exceeded");
    expect(large.calls.length).toBe(0);
  });
});
