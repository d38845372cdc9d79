import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";

/**
 * What an official SDK's call that must fail threw, typed as that SDK's error for the test to read
 * (status, code, param, error body). A call that succeeds rejects here, saying so.
 */
function failureOf<E>(call: PromiseLike<unknown>): Promise<E> {
  return Promise.resolve(call).then(
    (value) => {
      throw new Error(`the call succeeded where it must fail: ${JSON.stringify(value)?.slice(0, 200)}`);
    },
    (error: unknown) => error as E,
  );
}

/** What an OpenAI SDK call that must fail threw. */
export const openaiFailure = (call: PromiseLike<unknown>) =>
  failureOf<InstanceType<typeof OpenAI.APIError>>(call);

/** What an Anthropic SDK call that must fail threw. */
export const anthropicFailure = (call: PromiseLike<unknown>) =>
  failureOf<InstanceType<typeof Anthropic.APIError>>(call);
