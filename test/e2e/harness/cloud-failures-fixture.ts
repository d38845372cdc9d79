import type { CloudFailure } from "../../fake-cloud/fake-cloud-api.ts";
import { auditRow } from "./admin-api.ts";
import { cloudGateway } from "./cloud-gateway.ts";
import { anthropicFailure, openaiFailure } from "./sdk-failure.ts";

/** The one user turn each call here sends: the fake cloud's failure does not depend on it. */
const ASK = [{ role: "user" as const, content: "x" }];

/**
 * What the tests of a cloud vendor's failures share (test/e2e/cloud-failures*.test.ts,
 * cloud-no-answer.test.ts): the cloud gateway (harness/cloud-gateway.ts), and a call of either
 * dialect on a model, made after the fake cloud is told how to fail it (`failNext`).
 * The gateway starts in the file's `beforeAll`: use these when a test runs.
 */
export function cloudFailuresFixture() {
  const clouds = cloudGateway();
  return {
    clouds,
    /** The fake cloud fails its next model call so. */
    failNext: (failure: CloudFailure) => clouds.cloud.failNext(failure),
    /** An OpenAI chat call of `model` that must be answered (by a route after the failed one). */
    chat: (model: string) => clouds.openai.chat.completions.create({ model, messages: ASK }),
    /** What an OpenAI chat call of `model` that must fail threw. */
    chatFailure: (model: string) =>
      openaiFailure(clouds.openai.chat.completions.create({ model, messages: ASK })),
    /** What an Anthropic messages call of `model` that must fail threw. */
    messagesFailure: (model: string, maxTokens = 10) =>
      anthropicFailure(clouds.anthropic.messages.create({ model, max_tokens: maxTokens, messages: ASK })),
    /** The audit row of the request an SDK's error answered (its request id). */
    rowOf: (error: { requestID?: string | null }) => auditRow(clouds.gw, error.requestID ?? ""),
  };
}
