import { beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { FakeCloud } from "../fake-cloud/fake-cloud.ts";
import { auditRow } from "./harness/admin-api.ts";
import { cloudGateway } from "./harness/cloud-gateway.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// A cloud vendor's 200 with no answer in it (harness/cloud-gateway.ts), whose answer the gateway's
// own provider builds: an upstream fault, as an HTTP upstream's {"choices": []} is
// (test/e2e/error-fidelity-failed-answers.test.ts).

const clouds = cloudGateway();
let cloud: FakeCloud;
let gw: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(() => {
  ({ cloud, gw, openai, anthropic } = clouds);
});

describe("a cloud vendor's 200 with no answer in it", () => {
  test("Gemini's answer without a candidate: an OpenAI caller gets no empty choices but the gateway's 502, an Anthropic caller its api_error; another route serves", async () => {
    cloud.failNext({ status: 200, type: "", message: "", noCandidates: true });
    const error = (await openai.chat.completions
      .create({ model: "gemini-flash", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect([error.status, error.code, error.message]).toEqual([
      502,
      "upstream_error",
      "502 upstream gm sent a body with no answer in it",
    ]);
    const row = await auditRow(gw, error.headers?.get("x-request-id") ?? "");
    expect(row.status).toBe(502);
    cloud.failNext({ status: 200, type: "", message: "", noCandidates: true });
    const across = (await anthropic.messages
      .create({ model: "gemini-flash", max_tokens: 16, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect([across.status, (across.error as { error: { type: string } }).error.type]).toEqual([
      502,
      "api_error",
    ]);
    cloud.failNext({ status: 200, type: "", message: "", noCandidates: true });
    const served = await openai.chat.completions.create({
      model: "gemini-then-azure",
      messages: [{ role: "user", content: "x" }],
    });
    expect(served.choices[0]?.message.content).toBeString();
  });
});
