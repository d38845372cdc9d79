import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { auditRow } from "./harness/admin-api.ts";
import { errorFidelityFixture } from "./harness/error-fidelity-fixture.ts";

// Refusals that read like a context-length refusal and are none (the gateway set-up:
// harness/error-fidelity-fixture.ts): their words kept, in Anthropic's own type for an Anthropic
// caller, audited invalid_request, never failed over on context_length (the refusals that are:
// error-fidelity-context.test.ts).

const fidelity = errorFidelityFixture();
const { chat, messages } = fidelity;

describe("refusals that only look like context_length_exceeded", () => {
  test.each([
    ["vLLM's (FastAPI's listing)", "vllm-listing"],
    ["SGLang's (FastAPI's entries alone)", "sglang-listing"],
  ])(
    "%s validation 400 quoting a prompt that speaks of context lengths is the caller's plain 400, not a context refusal",
    async (_, model) => {
      const openaiError = (await chat(model, "x")) as InstanceType<typeof OpenAI.APIError>;
      expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
      expect(openaiError.code).not.toBe("context_length_exceeded");
      const anthropicError = (await messages(model, "x")) as InstanceType<typeof Anthropic.APIError>;
      expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
      expect(anthropicError.error).toMatchObject({ error: { type: "invalid_request_error" } });
      expect(anthropicError.message).not.toContain("prompt is too long:");
      const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
      expect([row.status, row.errorClass]).toEqual([400, "invalid_request"]);
    },
  );

  test("vLLM's Messages endpoint's validation 400 quoting a prompt that says `prompt is too long`: its words kept in Anthropic's own type (Claude Code does not compact), no failover on context_length, audited invalid_request", async () => {
    const anthropicError = (await messages("vllm-messages-listing", "x")) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringMatching(/^1 validation error for /) },
    });
    const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "invalid_request"]);
    expect(row.attempts?.map((a) => a.outcome)).toEqual(["failed"]);
  });

  // The Anthropic SDK and Claude Code switch on Anthropic's own error types; an engine serving
  // Anthropic's API in its own (MiniMax's bad_request_error, vLLM's BadRequestError) gets the one
  // Anthropic's API has for the status, its words kept.
  test("an Anthropic-shaped refusal whose type is not one of Anthropic's (MiniMax's bad_request_error) reaches Anthropic callers as Anthropic's type for its status, its words kept", async () => {
    const words = "media exceeds size limit: max 10485760 bytes (2013)";
    const anthropicError = (await messages("minimax-media-messages", "x")) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: words },
    });
    const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "invalid_request"]);
  });

  // MiniMax's 2013 is any invalid parameter's: an image over its 10 MB says "exceeds … limit" too.
  test("MiniMax's image refusal (`media exceeds size limit: … (2013)`) is the caller's plain 400, not a context refusal, MiniMax's words kept", async () => {
    const words = "media exceeds size limit: max 10485760 bytes (2013)";
    const openaiError = (await chat("minimax-media", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
    expect(openaiError.code).not.toBe("context_length_exceeded");
    expect(openaiError.message).toBe(`400 ${words}`);
    const anthropicError = (await messages("minimax-media", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: words },
    });
    const row = await auditRow(fidelity.gw, anthropicError.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "invalid_request"]);
  });
});
