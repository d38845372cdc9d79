import { afterAll, describe, expect, test } from "bun:test";
import type { JsonObject, Operation } from "../core/dialect.ts";
import { createOpenAICompatibleProvider } from "../providers/openai-compatible/openai-compatible-provider.ts";
import type { Dispatched } from "./dispatch.ts";
import { chatRequest, drain, routerFor } from "./router-test-kit.ts";
import { oneRoute, responsesCall } from "./router-unsupported-fixture.ts";

// vLLM ends a turn `tool_calls` whenever a call was parsed, even when `max_tokens` cut the call's
// arguments mid-JSON (vllm-project/vllm #53269, #58228). This fake answers as vLLM does: the
// arguments cut, `completion_tokens` at the bound, the finish `tool_calls` (or `length` past a
// fixed vLLM); a bound past `most` it refuses in OpenAI's words, as a model that writes no more.

/** The arguments the model began, the bound cutting them after this much. */
const ARGUMENTS = '{"file_path": "notes.md", "content": "# Notes\\n\\nFirst';
let fixedWords: "tool_calls" | "length" = "tool_calls";
let whole = false;
/** Tokens the answer stops short of its bound by (0: it reached it). */
let shortBy = 0;
const most = 4096;

const vllm = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  async fetch(request) {
    const body = (await request.json()) as JsonObject;
    const bound = Number(body.max_completion_tokens ?? body.max_tokens);
    if (bound > most)
      return Response.json(
        {
          object: "error",
          message: `max_tokens is too large: ${bound}. This model supports at most ${most} completion tokens, whereas you provided ${bound}.`,
          type: "BadRequestError",
          param: null,
          code: 400,
        },
        { status: 400 },
      );
    const args = whole ? '{"file_path": "notes.md"}' : ARGUMENTS;
    const call = {
      index: 0,
      id: "chatcmpl-tool-1",
      type: "function",
      function: { name: "Write", arguments: args },
    };
    const written = bound - shortBy;
    const usage = { prompt_tokens: 50, completion_tokens: written, total_tokens: 50 + written };
    const finish = fixedWords;
    if (body.stream !== true)
      return Response.json({
        id: "chatcmpl-1",
        object: "chat.completion",
        model: "qwen",
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: null, tool_calls: [call] },
            finish_reason: finish,
          },
        ],
        usage,
      });
    const chunks = [
      { choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
      {
        choices: [
          { index: 0, delta: { tool_calls: [{ ...call, function: { name: "Write", arguments: "" } }] } },
        ],
      },
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: args } }] } }] },
      { choices: [{ index: 0, delta: { content: "" }, finish_reason: finish }] },
      { choices: [], usage },
    ];
    const text = chunks
      .map(
        (chunk) =>
          `data: ${JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", ...chunk })}\n\n`,
      )
      .join("");
    return new Response(`${text}data: [DONE]\n\n`, { headers: { "content-type": "text/event-stream" } });
  },
});
afterAll(() => vllm.stop(true));

function dispatch(operation: Operation, body: JsonObject): Promise<Dispatched> {
  const provider = {
    ...createOpenAICompatibleProvider({ name: "p", baseUrl: `http://127.0.0.1:${vllm.port}/v1` }),
    calls: [],
  };
  return routerFor(oneRoute("openai", "qwen"), [provider]).router(
    chatRequest("m", {
      operation,
      body,
      stream: body.stream === true,
      ...(operation === "responses" ? responsesCall(body) : {}),
    }),
  );
}

const events = async (dispatched: Dispatched): Promise<JsonObject[]> => {
  if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
  return (await drain(dispatched.reply.chunks))
    .filter((data) => data !== "[DONE]")
    .map((data) => JSON.parse(data));
};

/** Claude Code's request: a file to write, its bound on the answer. */
const claudeCode = (maxTokens: number, stream: boolean): JsonObject => ({
  model: "m",
  max_tokens: maxTokens,
  stream,
  tools: [{ name: "Write", input_schema: { type: "object", properties: { file_path: { type: "string" } } } }],
  messages: [{ role: "user", content: "Write my notes." }],
});

describe("a tool call the bound cut, which vLLM says ended in tool_calls", () => {
  test("Claude Code hears max_tokens, the call's input as far as it went (stream)", async () => {
    const out = await events(await dispatch("messages", claudeCode(1000, true)));
    const delta = out.find((event) => event.type === "message_delta") as { delta: { stop_reason: string } };
    expect(delta.delta.stop_reason).toBe("max_tokens");
    const input = out.find(
      (event) => (event.delta as JsonObject | undefined)?.type === "input_json_delta",
    ) as { delta: { partial_json: string } };
    // As it came, as Anthropic's own stream ends a tool_use that max_tokens cut (not `{}`).
    expect(input.delta.partial_json).toBe(ARGUMENTS);
  });

  test("Claude Code hears max_tokens, the keys whole so far (whole answer)", async () => {
    const dispatched = await dispatch("messages", claudeCode(1000, false));
    if (dispatched.reply.kind !== "json") throw new Error("expected a whole answer");
    expect(dispatched.reply.body.stop_reason).toBe("max_tokens");
    expect((dispatched.reply.body.content as JsonObject[])[0]?.input).toEqual({ file_path: "notes.md" });
  });

  test("a bound lowered to the most the model writes is the bound the cut is read against", async () => {
    // Claude Code asks 32,000; the model writes 4,096 at most: sent again with that (refused-hint.ts).
    const out = await events(await dispatch("messages", claudeCode(32000, true)));
    const delta = out.find((event) => event.type === "message_delta") as { delta: { stop_reason: string } };
    expect(delta.delta.stop_reason).toBe("max_tokens");
  });

  test("a Responses caller's response is incomplete, the call with it (stream and whole)", async () => {
    const request = (stream: boolean): JsonObject => ({
      model: "m",
      input: "Write my notes.",
      max_output_tokens: 1000,
      stream,
      tools: [{ type: "function", name: "Write", parameters: { type: "object", properties: {} } }],
    });
    const out = await events(await dispatch("responses", request(true)));
    const done = out.at(-1) as { type: string; response: JsonObject };
    expect(done.type).toBe("response.incomplete");
    expect(done.response.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect((done.response.output as JsonObject[])[0]?.status).toBe("incomplete");
    const dispatched = await dispatch("responses", request(false));
    if (dispatched.reply.kind !== "json") throw new Error("expected a whole answer");
    expect(dispatched.reply.body.status).toBe("incomplete");
  });

  test("arguments that are no JSON short of the bound are no cut: the finish is the upstream's", async () => {
    shortBy = 1;
    try {
      const out = await events(await dispatch("messages", claudeCode(1000, true)));
      const delta = out.find((event) => event.type === "message_delta") as { delta: { stop_reason: string } };
      expect(delta.delta.stop_reason).toBe("tool_use");
    } finally {
      shortBy = 0;
    }
  });

  test("a call whose arguments are whole at the bound is a finished call; so is one a fixed vLLM says length of", async () => {
    whole = true;
    try {
      const out = await events(await dispatch("messages", claudeCode(1000, true)));
      const delta = out.find((event) => event.type === "message_delta") as { delta: { stop_reason: string } };
      expect(delta.delta.stop_reason).toBe("tool_use");
    } finally {
      whole = false;
    }
    fixedWords = "length";
    try {
      const out = await events(await dispatch("messages", claudeCode(1000, true)));
      const delta = out.find((event) => event.type === "message_delta") as { delta: { stop_reason: string } };
      expect(delta.delta.stop_reason).toBe("max_tokens");
    } finally {
      fixedWords = "tool_calls";
    }
  });
});
