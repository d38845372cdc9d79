import type { JsonObject } from "../../core/dialect.ts";
import { badRequest, unsupportedOperation } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import {
  CARRIED_BY_EVERY_EMBEDDINGS_TARGET,
  type EmbeddingsTarget,
} from "../../translate/embeddings-target.ts";
import { embeddingsAnswer, readEmbeddingsAsk } from "../../translate/openai-embeddings.ts";
import type { Provider, ProviderCall, ProviderReply } from "../provider.ts";
import { completionLogprobs, completionLogprobsAsked } from "./mock-completion-logprobs.ts";
import { candidatesPerChoice, type MockChoice, mockGeneration } from "./mock-generation.ts";
import { mockLogprobs } from "./mock-logprobs.ts";
import { mockEmbedding, promptTexts, roughTokens } from "./mock-reply.ts";
import { toolCallId } from "./mock-tool-call.ts";

/**
 * The built-in provider: answers from the prompt itself, with no network, so a newcomer
 * gets a reply before configuring any account. Speaks the OpenAI dialect; Anthropic and
 * Responses callers reach it through translation like any other OpenAI-shaped route, so what it
 * honours (`n`, `stop`, max tokens, `response_format`, `logprobs`, a forced `tool_choice`:
 * mock-generation.ts) holds for them too.
 */
export function createMockProvider(name = "mock"): Provider {
  async function call(call: ProviderCall): Promise<ProviderReply> {
    // The mock is no upstream: its answer is the gateway's, named as the client asked.
    const model = call.askedModel ?? String(call.body.model);
    if (call.operation === "embeddings") return { kind: "json", body: await embeddings(call, model) };
    if (call.operation !== "chat" && call.operation !== "completions") {
      throw unsupportedOperation(`the mock provider does not serve ${call.operation}`);
    }
    const chat = call.operation === "chat";
    const choices = mockGeneration(call.body, chat);
    const prompt = promptTexts(call.body, chat).reduce((n, text) => n + roughTokens(text), 0);
    const answered = choices.reduce((n, choice) => n + roughTokens(choice.pieces.join("")), 0);
    const completion = chat ? answered : Math.round(answered * candidatesPerChoice(call.body, call.stream));
    const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    const answer = {
      id: `mock-${call.requestId}`,
      created: Math.floor(Date.now() / 1000),
      model,
      chat,
      logprobs: chat ? logprobsAsked(call.body) : completionLogprobsAsked(call.body.logprobs),
    };
    if (!call.stream) return { kind: "json", body: wholeAnswer(answer, choices, usage) };
    const options = call.body.stream_options as { include_usage?: unknown } | undefined;
    const events = streamEvents(answer, choices, options?.include_usage === true ? usage : undefined);
    return { kind: "stream", events: replay(events, call.signal) };
  }

  return {
    name,
    dialect: "openai",
    writesAnswers: true,
    embeddingsTarget: MOCK_EMBEDDINGS,
    call,
    listModels: async () => [],
  };
}

/** The mock embeds what every target carries, and reads nothing else (`user` is named). */
const MOCK_EMBEDDINGS: EmbeddingsTarget = { carries: () => CARRIED_BY_EVERY_EMBEDDINGS_TARGET };

/** What every chunk and answer of one call shares. */
interface Answer {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly chat: boolean;
  /**
   * Alternatives a token when logprobs were asked for (0: the tokens alone): chat's `top_logprobs`,
   * completions' `logprobs`.
   */
  readonly logprobs: number | undefined;
}

const logprobsAsked = (body: JsonObject): number | undefined =>
  body.logprobs === true ? (typeof body.top_logprobs === "number" ? body.top_logprobs : 0) : undefined;

function wholeAnswer(answer: Answer, choices: MockChoice[], usage: JsonObject): JsonObject {
  const { id, created, model, chat } = answer;
  return {
    id,
    object: chat ? "chat.completion" : "text_completion",
    created,
    model,
    choices: choices.map((choice, index) => {
      const text = choice.echoed + choice.pieces.join("");
      const logprobs = logprobsOf(answer, choice.pieces, choice.echoed, 0);
      return chat
        ? {
            index,
            message: messageOf(choice, text, id, index),
            finish_reason: choice.finish,
            ...stopReason(choice),
            logprobs,
          }
        : { index, text, finish_reason: choice.finish, ...stopReason(choice), logprobs };
    }),
    usage,
  };
}

function streamEvents(answer: Answer, choices: MockChoice[], usage: JsonObject | undefined): SseEvent[] {
  const { id, created, model, chat } = answer;
  const object = chat ? "chat.completion.chunk" : "text_completion";
  const chunk = (choice: JsonObject, extra: JsonObject = {}): SseEvent => ({
    data: JSON.stringify({ id, object, created, model, choices: [choice], ...extra }),
  });
  const events: SseEvent[] = [];
  for (const [index, choice] of choices.entries()) {
    const pieces = choice.pieces.length > 0 ? choice.pieces : [""];
    let offset = 0;
    for (const [i, piece] of pieces.entries()) {
      const echoed = i === 0 ? choice.echoed : "";
      const delta = chat
        ? {
            delta:
              choice.call === undefined ? textDelta(i, piece) : callDelta(i, piece, choice.call, id, index),
          }
        : { text: echoed + piece };
      const logprobs = logprobsOf(answer, [piece], echoed, offset);
      offset += echoed.length + piece.length;
      events.push(chunk({ index, ...delta, finish_reason: null, logprobs }));
    }
    const end = chat ? { delta: {} } : { text: "" };
    events.push(
      chunk({ index, ...end, finish_reason: choice.finish, ...stopReason(choice), logprobs: null }),
    );
  }
  if (usage) events.push({ data: JSON.stringify({ id, object, created, model, choices: [], usage }) });
  events.push({ data: "[DONE]" });
  return events;
}

/** A chat choice's message: its text, or the call its `tool_choice` forced, with no text, as OpenAI answers one. */
const messageOf = (choice: MockChoice, text: string, answerId: string, index: number): JsonObject =>
  choice.call === undefined
    ? { role: "assistant", content: text, refusal: null }
    : {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: toolCallId(answerId, index),
            type: "function",
            function: { name: choice.call, arguments: text },
          },
        ],
        refusal: null,
      };

const textDelta = (i: number, piece: string): JsonObject =>
  i === 0 ? { role: "assistant", content: piece } : { content: piece };

/** A forced call streamed as OpenAI streams one: its id and name first, then its arguments in pieces. */
function callDelta(i: number, piece: string, name: string, answerId: string, choice: number): JsonObject {
  if (i > 0) return { tool_calls: [{ index: 0, function: { arguments: piece } }] };
  const call = {
    index: 0,
    id: toolCallId(answerId, choice),
    type: "function",
    function: { name, arguments: piece },
  };
  return { role: "assistant", content: null, tool_calls: [call] };
}

/** vLLM's `stop_reason`: the stop sequence that ended the choice, when one did. */
const stopReason = (choice: MockChoice): JsonObject =>
  choice.matched !== undefined ? { stop_reason: choice.matched } : {};

/**
 * A choice's (or a chunk's) logprobs where they were asked for: chat's `content`, or completions'
 * shape, the `echoed` prompt first, its tokens' offsets from `offset` in the choice's text.
 */
function logprobsOf(
  answer: Answer,
  pieces: readonly string[],
  echoed: string,
  offset: number,
): JsonObject | null {
  if (answer.logprobs === undefined) return null;
  // An empty piece (a choice with no text) is no token of a completion.
  if (!answer.chat)
    return completionLogprobs(
      echoed,
      pieces.filter((piece) => piece !== ""),
      answer.logprobs,
      offset,
    );
  return { content: mockLogprobs(pieces, answer.logprobs), refusal: null };
}

async function* replay(events: SseEvent[], signal: AbortSignal): AsyncGenerator<SseEvent> {
  for (const event of events) {
    if (signal.aborted) return;
    yield event;
  }
}

/** The longest vector the mock makes: as long as the longest real embedding models' (3072). */
const MOST_DIMENSIONS = 3072;

/**
 * Embeddings made from each text, in the OpenAI answer the cloud providers' translations give.
 * `dimensions` past the longest it makes is a 400 naming it, as OpenAI refuses more than a
 * model's own: never a shorter vector than was asked, answered 200.
 */
function embeddings(call: ProviderCall, model: string): Promise<JsonObject> {
  const ask = call.embeddingsAsk ?? readEmbeddingsAsk(call.body, "mock");
  if (ask.dimensions !== undefined && ask.dimensions > MOST_DIMENSIONS)
    throw badRequest(
      `dimensions: the mock makes vectors of at most ${MOST_DIMENSIONS} dimensions, not ${ask.dimensions}`,
      "dimensions",
    );
  const dimensions = ask.dimensions ?? 8;
  return embeddingsAnswer("mock", ask, model, {
    vectors: ask.texts.map((text) => mockEmbedding(text, dimensions)),
    inputTokens: ask.texts.reduce((n, text) => n + roughTokens(text), 0),
  });
}
