import { type Answer, answer, count, text } from "./answer-shape.ts";

// A model call's answer is its dialect's, as the upstream (or the translation) wrote it, so only
// what every such answer carries is said, every other field allowed.

/** The model calls' answers, and a stored Response deleted. */
export const MODEL_ANSWERS = {
  DeletedResponse: {
    schema: answer("The stored response is gone", {
      id: text,
      object: { const: "response" },
      deleted: { const: true },
    }),
    example: {
      id: "resp_9e653220526aea9e484f81c08acd5a175059681f5aacf778",
      object: "response",
      deleted: true,
    },
  },
  ChatCompletion: {
    schema: answer("OpenAI's chat completion, as the upstream (or the translation) wrote it", {
      id: text,
      object: { const: "chat.completion" },
      model: text,
      choices: { type: "array" },
    }),
    example: {
      id: "chatcmpl-829c78742be94012a1988700",
      object: "chat.completion",
      created: 1796494707,
      model: "gpt-4o-mini",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: "Hello!", refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
    },
  },
  Completion: {
    schema: answer("OpenAI's legacy completion", {
      id: text,
      object: { const: "text_completion" },
      model: text,
      choices: { type: "array" },
    }),
    example: {
      id: "cmpl-98f0b807e5b64ba58171d15c",
      object: "text_completion",
      created: 1796494707,
      model: "gpt-4o-mini",
      choices: [{ text: " there was a gateway.", index: 0, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 },
    },
  },
  Embeddings: {
    schema: answer("OpenAI's embeddings", {
      object: { const: "list" },
      data: { type: "array" },
      model: text,
    }),
    example: {
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: [-0.0247, 0.0534, -0.018] }],
      model: "text-embedding-3-small",
      usage: { prompt_tokens: 2, total_tokens: 2 },
    },
  },
  Response: {
    schema: answer("OpenAI's Responses API response", {
      id: text,
      object: { const: "response" },
      status: text,
      model: text,
      output: { type: "array" },
    }),
    example: {
      id: "resp_9e653220526aea9e484f81c08acd5a175059681f5aacf778",
      object: "response",
      created_at: 1796494707,
      status: "completed",
      model: "gpt-4o-mini",
      output: [
        {
          id: "msg_9e653220526aea9e484f81c08acd5a175059681f5aacf778",
          type: "message",
          status: "completed",
          role: "assistant",
          content: [{ type: "output_text", text: "Gateways hum softly", annotations: [] }],
        },
      ],
      usage: { input_tokens: 8, output_tokens: 5, total_tokens: 13 },
    },
  },
  Message: {
    schema: answer("Anthropic's message, as the upstream (or the translation) wrote it", {
      id: text,
      type: { const: "message" },
      role: { const: "assistant" },
      model: text,
      content: { type: "array" },
    }),
    example: {
      id: "msg_ade7ddfbd36740b9af4a4929",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "Hello!" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 9, output_tokens: 3 },
    },
  },
  TokenCount: {
    schema: answer("Anthropic's token count", { input_tokens: count }),
    example: { input_tokens: 14 },
  },
} satisfies Record<string, Answer>;
