import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { errorFidelityFixture } from "./harness/error-fidelity-fixture.ts";
import { UPSTREAM_KEYS } from "./harness/error-fidelity-servers.ts";
import { spawnWorker, waitForWorkers } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// What an upstream's error says of the gateway's own account (its organization, project) and
// credentials never reaches a caller, relayed or translated (the gateway set-up:
// harness/error-fidelity-fixture.ts).

const fidelity = errorFidelityFixture();
const { fx, chat, messages, keyQuoterUrl } = fidelity;

describe("the gateway's upstream account stays the operator's", () => {
  const ACCOUNT = "(the gateway's upstream account)";
  const ORG = "org-uOtiSEwvUnroadaOnJJquBEC";
  /** A quoted field of a text log line (`reason="…"`), as the line writes it: a JSON string. */
  const textField = (line: string, name: string): unknown => {
    const quoted = new RegExp(` ${name}=("(?:[^"\\\\]|\\\\.)*")`).exec(line)?.[1];
    return quoted === undefined ? undefined : JSON.parse(quoted);
  };
  /** The request's line of `msg` (`request`: its access line; `route failed`), once written. */
  const lineOf = (msg: string, requestId: string) =>
    waitFor(`${requestId}'s ${msg} line`, () =>
      fidelity.gw.stderr.all.split("\n").find((line) => line.includes(` ${msg} request_id=${requestId} `)),
    );
  const accessLine = (requestId: string) => lineOf("request", requestId);

  test("OpenAI's 429 naming the organization, to an OpenAI caller: its body but for the org id; the audit row alike; the log keeps it", async () => {
    const error = (await chat("org-limited", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const told = `Rate limit reached for gpt-4o in organization ${ACCOUNT} on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms.`;
    expect(error.error).toEqual({ message: told, type: "tokens", param: null, code: "rate_limit_exceeded" });
    const requestId = error.headers?.get("x-request-id") ?? "";
    expect((await auditRow(fidelity.gw, requestId)).errorMessage).toBe(told);
    // The operator's access line (at warn) keeps the upstream's own words as its detail.
    const line = await accessLine(requestId);
    expect([textField(line, "reason"), textField(line, "detail")]).toEqual([
      told,
      told.replace(ACCOUNT, ORG),
    ]);
    // The attempt's own line (a 429 another try may mend) reads as the access line does.
    const failed = await lineOf("route failed", requestId);
    expect([textField(failed, "reason"), textField(failed, "detail")]).toEqual([
      told,
      told.replace(ACCOUNT, ORG),
    ]);
  });

  test("an error in a 200 answer naming the organization and OpenAI's request id, to both dialects: the upstream's words, scrubbed, the audit row alike; the log keeps them, saying how they came", async () => {
    const told = `Rate limit reached for gpt-4o in organization ${ACCOUNT} on tokens per min (TPM). (Please include the request ID (the upstream's request id) in your message.)`;
    const error = (await chat("org-in-200", "x")) as InstanceType<typeof OpenAI.APIError>;
    // A rate limit by its code, as its 429 is.
    expect([error.status, error.code, (error.error as { message: string }).message]).toEqual([
      429,
      "rate_limit_exceeded",
      told,
    ]);
    const across = (await messages("org-in-200", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect([across.status, across.error]).toEqual([
      429,
      {
        type: "error",
        error: { type: "rate_limit_error", message: told },
        request_id: expect.stringMatching(/^req_/),
      },
    ]);
    const requestId = error.headers?.get("x-request-id") ?? "";
    expect((await auditRow(fidelity.gw, requestId)).errorMessage).toBe(told);
    // The access line says what the client was told as its reason, the upstream's words (the org
    // id, OpenAI's request id) as its detail only.
    const kept = `upstream self-hosted answered 200 with an error: Rate limit reached for gpt-4o in organization ${ORG} on tokens per min (TPM). (Please include the request ID req_5a7c0e2b9f3d4e8a1b6c7d8e9f0a1b2c in your message.)`;
    const line = await accessLine(requestId);
    expect([textField(line, "reason"), textField(line, "detail")]).toEqual([told, kept]);
    const failed = await lineOf("route failed", requestId);
    expect([textField(failed, "reason"), textField(failed, "detail")]).toEqual([told, kept]);
  });

  test("Anthropic's 429 naming the organization's UUID, to both dialects: scrubbed, Anthropic's request_id the gateway's", async () => {
    const told = `This request would exceed the rate limit for your organization ${ACCOUNT} of 40,000 input tokens per minute.`;
    const same = (await messages("an-limited", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(same).toBeInstanceOf(Anthropic.RateLimitError);
    // The body's request_id and the one the SDK reports (its header) are the gateway's, which
    // names this call in its audit log.
    expect(same.error).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: told },
      request_id: same.requestID,
    });
    expect((await auditRow(fidelity.gw, same.requestID ?? "")).errorMessage).toBe(told);
    const across = (await chat("an-limited", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(across).toBeInstanceOf(OpenAI.RateLimitError);
    expect([across.error, across.code]).toEqual([
      expect.objectContaining({ message: told }),
      "rate_limit_exceeded",
    ]);
  });

  test("Google's quota naming the project number, to both dialects", async () => {
    const told = `Quota exceeded for quota metric 'Generate Content API requests per minute' of service 'aiplatform.googleapis.com' for consumer '${ACCOUNT}'.`;
    const openaiError = (await chat("gm-limited", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(openaiError).toBeInstanceOf(OpenAI.RateLimitError);
    expect((openaiError.error as { message: string }).message).toBe(told);
    const anthropicError = (await messages("gm-limited", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError.error).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: told },
      request_id: expect.stringMatching(/^req_/),
    });
    expect((await auditRow(fidelity.gw, anthropicError.requestID ?? "")).errorMessage).toBe(told);
  });
});

describe("the gateway's own upstream credentials never leave it, whatever an upstream quotes of them", () => {
  const lineOf = (msg: string, requestId: string) =>
    waitFor(`${requestId}'s ${msg} line`, () =>
      fidelity.gw.stderr.all.split("\n").find((line) => line.includes(` ${msg} request_id=${requestId} `)),
    );
  const post = (path: string, model: string, requestId: string) =>
    fetch(`${fidelity.gw.url}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${fidelity.key}`,
        "content-type": "application/json",
        "x-request-id": requestId,
      },
      body: JSON.stringify({ model, max_tokens: 8, messages: [{ role: "user", content: "x" }] }),
    });
  /** The caller's answer, the audit row, the access line and the attempt's line: none holds `secret`. */
  async function expectNowhere(
    secret: string,
    path: string,
    model: string,
    requestId: string,
    status: number,
  ) {
    const response = await post(path, model, requestId);
    const told = await response.text();
    expect([model, response.status]).toEqual([model, status]);
    expect(told).not.toContain(secret);
    expect(told).toContain("Invalid request for key [redacted]");
    const row = await auditRow(fidelity.gw, requestId);
    expect(row.errorMessage).toBe("Invalid request for key [redacted]");
    expect(await lineOf("request", requestId)).not.toContain(secret);
    // A 5xx another try may mend has its own line.
    if (status >= 500) expect(await lineOf("route failed", requestId)).not.toContain(secret);
  }

  test.each([
    [
      "a key of no known shape, in a 400, relayed to a chat caller",
      UPSTREAM_KEYS.plain,
      "/v1/chat/completions",
      "quotes-key",
      400,
    ],
    ["the same, translated for a messages caller", UPSTREAM_KEYS.plain, "/v1/messages", "quotes-key", 400],
    ["the same in a 500", UPSTREAM_KEYS.plain, "/v1/chat/completions", "quotes-key-500", 500],
    ["a provider's api-key header", UPSTREAM_KEYS.header, "/v1/chat/completions", "quotes-header", 400],
    ["Groq's gsk_ key in a 500", UPSTREAM_KEYS.groq, "/v1/chat/completions", "quotes-groq", 500],
  ])("%s", async (_, secret, path, model, status) => {
    await expectNowhere(secret, path, model, `quoted-${model}-${path.length}`, status);
  });

  test("a worker's --upstream-key, quoted by its model server, reaches neither the caller nor the gateway's log", async () => {
    const { key: token } = await createKey(fidelity.gw, {
      name: "quoting-worker",
      role: "worker",
      models: ["*"],
    });
    const worker = fx.own(
      spawnWorker({
        gateway: fidelity.gw.url,
        token,
        upstream: `${keyQuoterUrl()}v1`,
        name: "quoting-worker",
        models: ["w-quote"],
        args: ["--upstream-key", UPSTREAM_KEYS.worker],
      }),
    );
    await waitForWorkers(fidelity.gw.url, fidelity.gw.adminKey ?? "", ["quoting-worker"]);
    const response = await post("/v1/chat/completions", "w-quote", "quoted-by-worker");
    const told = await response.text();
    expect(response.status).toBe(400);
    expect(told).not.toContain(UPSTREAM_KEYS.worker);
    expect(told).toContain("Invalid request for key [redacted]");
    expect((await auditRow(fidelity.gw, "quoted-by-worker")).errorMessage).toBe(
      "Invalid request for key [redacted]",
    );
    expect((await lineOf("request", "quoted-by-worker")).includes(UPSTREAM_KEYS.worker)).toBe(false);
    await worker.stop();
    expect(worker.stderr.all).not.toContain(UPSTREAM_KEYS.worker);
  });
});
