import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import { CONVERSE_TARGET } from "../translate/openai-to-bedrock/chat-request-to-converse.ts";
import { GEMINI_TARGET } from "../translate/openai-to-gemini/chat-request-to-gemini.ts";
import {
  chatRequest,
  type FakeProvider,
  fakeProvider,
  jsonReply,
  modelOver,
  routerFor,
} from "./router-test-kit.ts";

describe("a call that asks for audio, over routes of which some answer in text only", () => {
  const body = {
    model: "m",
    messages: [{ role: "user", content: "Say hi" }],
    modalities: ["text", "audio"],
    audio: { voice: "alloy", format: "wav" },
  };
  const SPOKEN = {
    id: "c",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: null,
          audio: { id: "audio_1", data: "UklGRg==", transcript: "hi" },
        },
        finish_reason: "stop",
      },
    ],
  };
  /** An OpenAI audio model (gpt-4o-audio), as it answers, or failing as OpenAI does when overloaded. */
  const gptAudio = (answering = true) =>
    fakeProvider("gpt", () =>
      answering
        ? Promise.resolve(jsonReply(SPOKEN))
        : Promise.reject(
            upstreamFailure("gpt", {
              status: 503,
              headers: new Headers(),
              text: JSON.stringify({
                error: { message: "The engine is currently overloaded", type: "server_error" },
              }),
            }),
          ),
    );
  const claude = (): FakeProvider => ({ ...fakeProvider("claude"), dialect: "anthropic" });
  const converse = (): FakeProvider => ({ ...fakeProvider("converse"), chatTarget: CONVERSE_TARGET });
  const over = (providers: FakeProvider[], routing: object = {}, policy: object = {}) => ({
    ...modelOver(
      providers.map((p) => ({
        provider: p.name,
        type: p.dialect === "anthropic" ? "anthropic" : "openai",
        model: "up",
      })),
      { retries: 0, ...routing },
    ),
    ...policy,
  });
  const refusal = (error: unknown) => {
    const { status, code, param, message, retryable, headers } = error as GatewayError;
    return { status, code, param, message, retryable, headers };
  };

  test("a text-only route is passed over, nothing sent to it, for the next route, which answers in audio", async () => {
    const [text, audio] = [claude(), gptAudio()];
    const { router } = routerFor(over([text, audio]), [text, audio]);
    const dispatched = await router(chatRequest("m", { body }));
    expect(dispatched.route).toBe("provider:gpt");
    expect(dispatched.reply).toEqual({ kind: "json", body: SPOKEN });
    expect([text.calls.length, audio.calls.length, dispatched.attempts]).toEqual([0, 1, 1]);
    expect(audio.calls[0]?.body.modalities).toEqual(["text", "audio"]);
  });

  test("an audio route's failure (OpenAI's 503) is the caller's answer, retryable, not a text-only route's 400 after it", async () => {
    const [audio, text] = [gptAudio(false), claude()];
    const { router } = routerFor(over([audio, text]), [audio, text]);
    const failed = refusal(await router(chatRequest("m", { body })).catch((e: unknown) => e));
    expect([failed.status, failed.code, failed.retryable]).toEqual([502, "upstream_error", true]);
    expect(failed.message).toContain("overloaded");
    expect(text.calls).toHaveLength(0);
  });

  test("an audio route out of service (its breaker open): a 503 saying when to come back, not the 400", async () => {
    const [audio, text] = [gptAudio(false), claude()];
    const breaker = { circuit_breaker: { failures: 1, cooldown: "30s" } };
    const { router } = routerFor(over([audio, text], breaker), [audio, text]);
    await router(chatRequest("m", { body })).catch(() => {});
    const later = refusal(await router(chatRequest("m", { body })).catch((e: unknown) => e));
    expect([later.status, later.code, later.headers["retry-after"]]).toEqual([
      503,
      "no_route_available",
      "30",
    ]);
    expect(audio.calls).toHaveLength(1);
  });

  test("a text-only route out of service is no reason to come back: the 400 of the text-only route tried", async () => {
    const ANSWER = {
      id: "msg",
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: "hi" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 1, output_tokens: 1 },
    };
    const OVERLOADED = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
    const down: FakeProvider = {
      ...fakeProvider("down", () =>
        Promise.reject(upstreamFailure("down", { status: 529, headers: new Headers(), text: OVERLOADED })),
      ),
      dialect: "anthropic",
    };
    const text: FakeProvider = {
      ...fakeProvider("text", () => Promise.resolve(jsonReply(ANSWER))),
      dialect: "anthropic",
    };
    const breaker = { circuit_breaker: { failures: 1, cooldown: "30s" } };
    const { router, health } = routerFor(over([down, text], breaker), [down, text]);
    // A text call opens the first route's breaker; the second answers it.
    expect((await router(chatRequest("m"))).route).toBe("provider:text");
    expect(health.isOpen("down/up")).toBe(true);
    const refused = refusal(await router(chatRequest("m", { body })).catch((e: unknown) => e));
    expect([refused.status, refused.code, refused.headers]).toEqual([400, "unsupported_modality", {}]);
    expect(refused.message).toStartWith("modalities: Anthropic answers in text only");
    expect([down.calls.length, text.calls.length]).toEqual([1, 1]);
  });

  test("a model whose one route answers in text only and is out of service: its 400 for audio, not a 503", async () => {
    const OVERLOADED = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
    const down: FakeProvider = {
      ...fakeProvider("down", () =>
        Promise.reject(upstreamFailure("down", { status: 529, headers: new Headers(), text: OVERLOADED })),
      ),
      dialect: "anthropic",
    };
    const breaker = { circuit_breaker: { failures: 1, cooldown: "30s" } };
    const { router, health } = routerFor(over([down], breaker), [down]);
    await router(chatRequest("m")).catch(() => {});
    expect(health.isOpen("down/up")).toBe(true);
    const refused = refusal(await router(chatRequest("m", { body })).catch((e: unknown) => e));
    expect([refused.status, refused.code, refused.headers]).toEqual([400, "unsupported_modality", {}]);
    expect(refused.message).toStartWith("modalities: Anthropic answers in text only");
    expect(down.calls).toHaveLength(1);
  });

  test("a text-only route too small for the prompt: the 400 for audio, not one for the prompt's length", async () => {
    const [small, gemini] = [claude(), { ...fakeProvider("gemini"), chatTarget: GEMINI_TARGET }];
    const config = over([small, gemini]);
    const [first, second] = config.models[0]?.routes ?? [];
    const windowed = {
      ...config,
      models: [{ name: "m", routes: [{ ...first, context_window: 100 }, second] }],
    };
    const { router } = routerFor(windowed, [small, gemini]);
    const long = { ...body, messages: [{ role: "user", content: "x".repeat(2_000) }] };
    const refused = refusal(await router(chatRequest("m", { body: long })).catch((e: unknown) => e));
    expect([refused.status, refused.code, refused.param]).toEqual([
      400,
      "unsupported_modality",
      "modalities",
    ]);
    expect(refused.message).toStartWith("modalities: Gemini answers in text only");
    expect([small.calls.length, gemini.calls.length]).toEqual([0, 0]);
  });

  test("no route answers in audio: the first one's 400, under every policy, nothing sent", async () => {
    for (const policy of [{}, { translation: { unsupported: "reject" } }]) {
      const routes = [claude(), converse()];
      const { router } = routerFor(over(routes, {}, policy), routes);
      const refused = refusal(await router(chatRequest("m", { body })).catch((e: unknown) => e));
      expect(refused).toEqual({
        status: 400,
        code: "unsupported_modality",
        param: "modalities",
        message:
          'modalities: Anthropic answers in text only, and this call asks for audio; ask for ["text"], or call a model whose upstream answers in audio',
        retryable: false,
        headers: {},
      });
      expect(routes.map((route) => route.calls.length)).toEqual([0, 0]);
    }
  });
});
