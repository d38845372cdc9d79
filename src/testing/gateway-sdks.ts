import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";

/** The official SDKs a test calls a gateway with, as its callers would. */
export interface GatewaySdks {
  readonly openai: OpenAI;
  readonly anthropic: Anthropic;
}

/**
 * OpenAI and Anthropic clients over a gateway at `url`, with its admin key: no retries of their
 * own (a test reads the first answer), and 30 s to answer on a machine other tests load.
 */
export function gatewaySdks(gateway: { readonly url: string; readonly adminKey: string }): GatewaySdks {
  const options = { apiKey: gateway.adminKey, maxRetries: 0, timeout: 30_000 };
  return {
    openai: new OpenAI({ ...options, baseURL: `${gateway.url}/v1` }),
    anthropic: new Anthropic({ ...options, baseURL: gateway.url }),
  };
}

/** The failure a caller is answered, by its SDK: status and message (anything else is rethrown). */
export async function sdkFailure(call: () => Promise<unknown>): Promise<[number | undefined, string]> {
  try {
    await call();
  } catch (error) {
    if (error instanceof Anthropic.APIError || error instanceof OpenAI.APIError)
      return [error.status, error.message];
    throw error;
  }
  throw new Error("the call did not fail");
}

/** A chat caller's streamed ask of `model`, read to its end. */
export const chatStreamOf = (openai: OpenAI, model: string) => async (): Promise<void> => {
  const stream = await openai.chat.completions.create({
    model,
    messages: [{ role: "user", content: "x" }],
    stream: true,
  });
  for await (const _ of stream);
};

/** A Messages caller's streamed ask of `model`, read to its final message. */
export const messagesStreamOf = (anthropic: Anthropic, model: string) => () =>
  anthropic.messages
    .stream({ model, max_tokens: 10, messages: [{ role: "user", content: "x" }] })
    .finalMessage();

/**
 * The official OpenAI client with its default options over a gateway in process (no socket): each
 * request it makes is given to `handle` (`(request) => gateway.handle(request)`, read at the call).
 */
export const inProcessOpenAI = (handle: (request: Request) => Promise<Response>, apiKey = "t"): OpenAI =>
  new OpenAI({
    apiKey,
    baseURL: "http://gw/v1",
    maxRetries: 0,
    fetch: (url: string | URL | Request, init?: RequestInit) => handle(new Request(url, init)),
  });
