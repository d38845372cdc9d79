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

/** Reads an SDK's stream to its end, for a stream that must fail in the middle: `openaiFailure(drained(stream))`. */
export async function drained(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // Nothing to keep: the test reads the error it ends in.
  }
}
