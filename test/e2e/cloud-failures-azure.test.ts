import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { CloudFailure } from "../fake-cloud/fake-cloud-api.ts";
import { cloudFailuresFixture } from "./harness/cloud-failures-fixture.ts";

// Azure OpenAI's failures in the caller's dialect (harness/cloud-gateway.ts, split from
// cloud-failures.test.ts): refusals that are the route's, not the caller's, its api-version, and a
// wait said only in x-ms-retry-after-ms.

const { clouds, chat, chatFailure, failNext, messagesFailure, rowOf } = cloudFailuresFixture();
const { lastModelCall } = clouds;

/**
 * An Azure refusal that is the route's, not the caller's: the first (`azure-then-gemini`) fails over to
 * Gemini; the second, on the Azure route alone, is an OpenAI caller's 502 `upstream_error` in the
 * gateway's words (`says`), audited 502; the third an Anthropic caller's 502 `api_error`, returned.
 */
async function azureRouteFault(
  [first, alone, anthropicAlone]: [CloudFailure, CloudFailure, CloudFailure],
  says: string,
): Promise<InstanceType<typeof Anthropic.APIError>> {
  failNext(first);
  const reply = await chat("azure-then-gemini");
  expect(reply.choices[0]?.message.content).toContain("Hello from gemini");
  failNext(alone);
  const refused = await chatFailure("azure-4o");
  expect(refused).toBeInstanceOf(OpenAI.APIError);
  expect(refused.status).toBe(502);
  expect(refused.error).toMatchObject({ type: "server_error", code: "upstream_error" });
  expect(refused.message).toContain(`upstream az answered 400: ${says}`);
  expect(await rowOf(refused)).toMatchObject({ status: 502 });
  failNext(anthropicAlone);
  const anthropicRefused = await messagesFailure("azure-4o", 32);
  expect(anthropicRefused.status).toBe(502);
  expect(anthropicRefused.error).toMatchObject({ type: "error", error: { type: "api_error" } });
  return anthropicRefused;
}

describe("vendor failures in the caller's dialect", () => {
  test("Azure's 400 OperationNotSupported (the deployment's model does not serve chat: an embedding model, one served only through the Responses API) is an operation the route does not serve, counted by no breaker: failed over; alone, a 502 saying so in the gateway's words, in either dialect", async () => {
    const NOT_CHAT = {
      status: 400,
      type: "OperationNotSupported",
      message:
        "The chatCompletion operation does not work with the specified model, text-embedding-3-small. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.",
    };
    await azureRouteFault([NOT_CHAT, NOT_CHAT, NOT_CHAT], "the route's model does not serve this operation");
  });

  test("Azure's 400 BadRequest refusing the provider's api_version (retired: \"API version not supported\"; too old for the deployment's model: \"Model … is enabled only for api versions … and later\") is the route's configuration, not the caller's request: failed over; alone, a 502 in the gateway's words, in either dialect", async () => {
    const RETIRED = { status: 400, type: "BadRequest", message: "API version not supported" };
    // Azure's own words, its placeholder unfilled as it sends them.
    const TOO_OLD = {
      status: 400,
      type: "BadRequest",
      message: "Model {modelName} is enabled only for api versions 2024-12-01-preview and later",
    };
    const anthropicRefused = await azureRouteFault(
      [RETIRED, TOO_OLD, RETIRED],
      "the route's API version is not served there",
    );
    expect(anthropicRefused.message).toContain("the route's API version is not served there");
  });

  test("a caller's own ?api-version= (as Azure's SDK clients send on every call) never reaches Azure: the provider's api_version is sent, on a deployment and on the v1 API, so the call is answered and no route is blamed", async () => {
    const azureShaped = new OpenAI({
      baseURL: clouds.openai.baseURL,
      apiKey: clouds.openai.apiKey,
      maxRetries: 0,
      defaultQuery: { "api-version": "2023-05-15" },
    });
    for (const [model, sent] of [
      ["azure-4o", "api-version=2024-10-21"],
      ["azure-v1", ""],
    ] as const) {
      const reply = await azureShaped.chat.completions.create({
        model,
        messages: [{ role: "user", content: "x" }],
      });
      expect(reply.choices[0]?.message.content).toContain("Hello from azure");
      expect(lastModelCall()?.query.replace(/^\?/, "")).toBe(sent);
    }
  });

  test("Azure's 429 saying its wait only in x-ms-retry-after-ms (as Azure SDKs read it): the caller is told it as retry-after-ms and Retry-After, which the OpenAI and Anthropic SDKs read", async () => {
    const LIMITED = {
      status: 429,
      type: "429",
      message: "Requests to the ChatCompletions_Create Operation have exceeded the rate limit.",
      msRetryAfterMs: "30500",
    };
    failNext(LIMITED);
    const limited = await chatFailure("azure-4o");
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect({
      ms: limited.headers?.get("retry-after-ms"),
      seconds: limited.headers?.get("retry-after"),
    }).toEqual({ ms: "30500", seconds: "31" });
    failNext(LIMITED);
    const refused = await messagesFailure("azure-4o", 32);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect(refused.headers?.get("retry-after")).toBe("31");
  });
});
