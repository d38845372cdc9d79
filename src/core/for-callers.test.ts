import { describe, expect, test } from "bun:test";
import { errorBody, toldMessage } from "./error-wire.ts";
import { bodyForCallers, forCallers, messageForCallers } from "./for-callers.ts";
import { GatewayError } from "./gateway-error.ts";

const ACCOUNT = "(the gateway's upstream account)";

describe("forCallers: an upstream's words without the gateway's credentials, places or account", () => {
  test.each([
    [
      // A LiteLLM proxy in front of a vLLM server (the reviewer's case), a key in the URL's query.
      "LiteLLM: call to http://vllm-3.corp.internal:8000/v1?api_key=sk-abcdefghijklmnopqrstuvwx failed",
      "LiteLLM: call to (a URL) failed",
    ],
    [
      "backend refused key sk-abcdefghijklmnopqrst1234 (retry later)",
      "backend refused key [redacted] (retry later)",
    ],
    ["connect ECONNREFUSED 10.0.4.7:8000", "connect ECONNREFUSED (an address)"],
    [
      "upstream vllm-3.corp.internal:8000 timed out; localhost:11434 too",
      "upstream (an address) timed out; (an address) too",
    ],
    ["no route to http://[fd00::1]:8000/v1, nor [fd00::2]:8000.", "no route to (a URL), nor (an address)."],
    [
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude is not authorized",
      `arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/us.anthropic.claude is not authorized`,
    ],
    // A key already redacted where it was quoted stays inside the URL it was part of.
    ["see https://h.internal/v1?api_key=[redacted].", "see (a URL)."],
    [
      "Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on requests per day (RPD). Visit https://platform.openai.com/account/rate-limits to learn more.",
      `Rate limit reached for gpt-4o in organization ${ACCOUNT} on requests per day (RPD). Visit https://platform.openai.com/account/rate-limits to learn more.`,
    ],
    [
      "Enable it by visiting https://console.developers.google.com/apis/api/x/overview?project=681255809395 then retry.",
      `Enable it by visiting https://console.developers.google.com/apis/api/x/overview?project=${ACCOUNT} then retry.`,
    ],
    // A vendor's host that names the gateway's own resource is no public page.
    ["POST https://acme-prod.openai.azure.com/openai/deployments/gpt failed", "POST (a URL) failed"],
  ])("%s", (said, told) => {
    expect(forCallers(said)).toBe(told);
  });

  test("model names, files, times and slices are left as said", () => {
    const said = "qwen2.5:14b and llama3.1:8b, gpt-3.5-turbo, config.yaml, 12:30:45, messages[1:2], 1.5s";
    expect(forCallers(said)).toBe(said);
  });

  test("hyphenated names that hold `sk-`, `gsk_`, `xai-` inside a word or as words are left as said", () => {
    for (const said of [
      "The model `risk-assessment-classifier-v2` does not exist",
      "Invalid tool name: task-specific-summariser",
      "tool `desk-booking-assistant-helper` and model `sk-assessment-classifier-v2` are unknown",
      "model `disk_gsk_AbCdEfGhIjKlMnOpQrStUvWx` and `pixai-AbCdEfGhIjKlMnOpQrStUvWx` are unknown",
    ])
      expect(forCallers(said)).toBe(said);
    // Real keys, after such a name, still go.
    expect(forCallers("risk-model: bad key sk-proj-Ab12Cd34Ef56Gh78Ij90KlMnOp")).toBe(
      "risk-model: bad key [redacted]",
    );
  });
});

describe("where callers read them", () => {
  const SAID = "call to http://vllm-3.corp.internal:8000/v1 failed";
  const upstream = { dialect: "openai" as const, status: 500 };

  test("an upstream's message, in either dialect's shape and the audit row; the gateway's own words as they are", () => {
    const failure = new GatewayError({ status: 502, code: "upstream_error", message: SAID, upstream });
    expect(messageForCallers(failure)).toBe("call to (a URL) failed");
    expect(toldMessage(failure, "openai")).toBe("call to (a URL) failed");
    expect(toldMessage(failure, "anthropic")).toBe("call to (a URL) failed");
    const own = new GatewayError({ status: 400, code: "invalid_request", message: SAID });
    expect(messageForCallers(own)).toBe(SAID);
  });

  test("a relayed body: its messages, Google's details' too; the rest as sent, the very body when nothing is named", () => {
    const body = {
      error: {
        message: SAID,
        type: "server_error",
        param: "http://caller.example/echoed",
        details: [{ message: "at 10.0.0.5:9000" }, { reason: "x" }],
      },
    };
    expect(bodyForCallers(body)).toEqual({
      error: {
        message: "call to (a URL) failed",
        type: "server_error",
        param: "http://caller.example/echoed",
        details: [{ message: "at (an address)" }, { reason: "x" }],
      },
    });
    const quiet = { error: { message: "The server is overloaded.", type: "server_error" } };
    expect(bodyForCallers(quiet)).toBe(quiet);
    const failure = new GatewayError({
      status: 500,
      code: "upstream_error",
      message: SAID,
      upstream: { ...upstream, body, text: JSON.stringify(body) },
    });
    expect(errorBody(failure, "openai")).toMatchObject({ error: { message: "call to (a URL) failed" } });
  });
});
