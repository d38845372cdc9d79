import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { jsonFixture } from "../fixtures/load-fixture.ts";
import { chatResponseToResponse } from "./chat-response-to-response.ts";
import { COMPACT_PROMPT, compactionResponse } from "./compaction.ts";
import { responsesRequestToChat } from "./responses-request-to-chat.ts";

// Requests recorded from real clients. Codex CLI 0.169.0 (`codex exec`, default tools) against a recorder:
// the default model puts every tool in an `additional_tools` input item (namespaces, and a
// custom `exec` tool with a lark grammar); gpt-5.5 sends custom `apply_patch` and hosted tools.
const recorded = (name: string) => jsonFixture(`clients/${name}`).body as JsonObject;
type ChatTool = { type: string; function: { name: string; description?: string; parameters: JsonObject } };
type Message = { role: string; content: unknown; tool_calls?: unknown[]; tool_call_id?: string };

describe("Codex CLI requests translate to chat completions", () => {
  test("default model: additional_tools merged, namespaces flattened, custom tools as one-string functions", () => {
    const { body, tools, dropped } = responsesRequestToChat(recorded("codex-0.169.0-default.json"));
    const names = (body.tools as ChatTool[]).map((tool) => tool.function.name);
    expect(names).toContain("functions__exec");
    expect(names).toContain("clock__sleep");
    expect(names).toContain("collaboration__spawn_agent");
    expect(names.every((name) => /^[a-zA-Z0-9_-]{1,64}$/.test(name))).toBe(true);
    const exec = (body.tools as ChatTool[]).find((tool) => tool.function.name === "functions__exec");
    expect(exec?.function.parameters).toMatchObject({
      required: ["input"],
      properties: { input: { type: "string" } },
    });
    expect(exec?.function.description).toContain("lark grammar");
    expect(tools.target("functions__exec")).toEqual({ name: "exec", namespace: "functions", custom: true });
    expect(tools.target("clock__sleep")).toEqual({ name: "sleep", namespace: "clock", custom: false });
    // Developer turns are system turns; the additional_tools item itself is not a message.
    const messages = body.messages as { role: string; content: unknown }[];
    expect(messages.map((m) => m.role)).toEqual(["system", "system", "system", "system", "user", "user"]);
    expect(messages.at(-1)?.content).toBe("say hi");
    expect(body).toMatchObject({
      reasoning_effort: "low",
      verbosity: "low",
      stream: true,
      parallel_tool_calls: false,
    });
    expect(body.prompt_cache_key).toBeString();
    expect(dropped).toEqual([]);
  });

  test("gpt-5.5: apply_patch as a function, web_search and tool_search dropped and named", () => {
    const { body, dropped } = responsesRequestToChat(recorded("codex-0.169.0-gpt-5.5.json"));
    const names = (body.tools as ChatTool[]).map((tool) => tool.function.name);
    expect(names).toContain("apply_patch");
    expect(names).toContain("exec_command");
    expect(dropped).toEqual(["tools.tool_search", "tools.web_search"]);
    expect(body.tool_choice).toBe("auto");
  });

  test("the turn after a chat upstream's reasoning (recorded): Codex's echo with nulls accepted, the call and its output carried", () => {
    // Codex echoes the reasoning item the gateway wrote as `"content": null, "encrypted_content": null`.
    const request = recorded("codex-0.169.0-gpt-5.5-reasoning.json");
    const reasoning = (request.input as JsonObject[]).find((item) => item.type === "reasoning");
    expect(reasoning).toMatchObject({ content: null, encrypted_content: null });
    const { body, dropped } = responsesRequestToChat(request);
    const messages = body.messages as Message[];
    expect(messages.slice(-2)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "exec_command", arguments: '{"cmd":"echo one"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: expect.stringContaining("Output:\none") },
    ]);
    expect(dropped).toEqual(["tools.tool_search", "tools.web_search"]);
  });

  test("items echoed with their unset fields as null (as OpenAI writes them, and SDKs dump them)", () => {
    const { body, dropped } = responsesRequestToChat({
      model: "m",
      input: [
        { type: "message", role: "user", status: null, content: [{ type: "input_text", text: "hi" }] },
        {
          type: "reasoning",
          id: "rs_1",
          summary: [{ type: "summary_text", text: "thinking" }],
          content: null,
          encrypted_content: null,
          status: null,
        },
        {
          type: "function_call",
          id: null,
          status: null,
          namespace: null,
          call_id: "c1",
          name: "shell",
          arguments: "{}",
          content: null,
          output: null,
        },
        { type: "function_call_output", id: null, status: null, call_id: "c1", output: "ok", name: null },
        {
          type: "message",
          role: "assistant",
          id: "msg_1",
          status: null,
          content: [{ type: "output_text", text: "done", annotations: [], logprobs: null, refusal: null }],
        },
      ],
    });
    expect(body.messages).toEqual([
      { role: "user", content: "hi" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "shell", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: "ok" },
      { role: "assistant", content: "done" },
    ]);
    expect(dropped).toEqual([]);
  });

  test("a required field sent as null is still the caller's 400, in OpenAI's words", () => {
    const refused = (() => {
      try {
        responsesRequestToChat({
          model: "m",
          input: [{ type: "function_call_output", call_id: "c1", output: null }],
        });
      } catch (thrown) {
        return thrown as GatewayError;
      }
    })();
    expect([refused?.status, refused?.param]).toEqual([400, "input[0].output"]);
  });

  test("answers map back: namespaced function calls and custom tool calls", () => {
    const { tools } = responsesRequestToChat(recorded("codex-0.169.0-default.json"));
    const chat = {
      id: "c",
      created: 1,
      choices: [
        {
          finish_reason: "tool_calls",
          message: {
            content: null,
            tool_calls: [
              { id: "call_a", type: "function", function: { name: "clock__sleep", arguments: '{"ms":5}' } },
              {
                id: "call_b",
                type: "function",
                function: { name: "functions__exec", arguments: JSON.stringify({ input: "console.log(1)" }) },
              },
            ],
          },
        },
      ],
    };
    const response = chatResponseToResponse(chat, { model: "m" }, "resp_x", tools);
    expect(response.output).toEqual([
      {
        id: "fc_x_0",
        type: "function_call",
        status: "completed",
        arguments: '{"ms":5}',
        call_id: "call_a",
        name: "sleep",
        namespace: "clock",
      },
      {
        id: "fc_x_1",
        type: "custom_tool_call",
        status: "completed",
        call_id: "call_b",
        name: "exec",
        input: "console.log(1)",
        namespace: "functions",
      },
    ]);
  });

  test("history: custom_tool_call and its output, namespaced calls, reasoning items accepted", () => {
    const { body } = responsesRequestToChat({
      model: "m",
      tools: [{ type: "custom", name: "apply_patch", description: "Patch files" }],
      input: [
        { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "gAAAAA" },
        { type: "custom_tool_call", call_id: "c1", name: "apply_patch", input: "*** Begin Patch" },
        { type: "custom_tool_call_output", call_id: "c1", output: "Done!" },
        { type: "function_call", call_id: "c2", name: "sleep", namespace: "clock", arguments: "{}" },
        { type: "function_call_output", call_id: "c2", output: [{ type: "input_text", text: "slept" }] },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "c1",
            type: "function",
            function: { name: "apply_patch", arguments: '{"input":"*** Begin Patch"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "Done!" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c2", type: "function", function: { name: "clock__sleep", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c2", content: "slept" },
    ]);
  });

  test("request fields chat can carry are carried; the ones it cannot are named", () => {
    const { body, dropped } = responsesRequestToChat({
      model: "m",
      input: "x",
      reasoning: { effort: "high", summary: "auto" },
      text: { verbosity: "high" },
      metadata: { team: "a" },
      service_tier: "flex",
      prompt_cache_key: "k1",
      parallel_tool_calls: true,
      max_output_tokens: 99,
      include: ["reasoning.encrypted_content"],
      store: false,
    });
    expect(body).toMatchObject({
      reasoning_effort: "high",
      verbosity: "high",
      service_tier: "flex",
      prompt_cache_key: "k1",
      max_completion_tokens: 99,
    });
    expect(body.parallel_tool_calls).toBeUndefined(); // no tools, nothing to parallelise
    // OpenAI's chat API refuses metadata without store: true; the stored response keeps it.
    expect(body.metadata).toBeUndefined();
    expect(dropped).toEqual(["reasoning.summary"]);
  });

  test("compaction: a model that calls a tool instead of summarising fails it (502), never an empty summary", () => {
    const toolCall = {
      id: "c",
      choices: [
        {
          message: {
            content: null,
            tool_calls: [{ id: "t1", type: "function", function: { name: "shell", arguments: "{}" } }],
          },
          finish_reason: "tool_calls",
        },
      ],
    };
    const error = (() => {
      try {
        compactionResponse(toolCall, "resp_k");
      } catch (thrown) {
        return thrown as GatewayError;
      }
    })();
    expect([error?.status, error?.code]).toEqual([502, "upstream_error"]);
  });

  test("compaction: the gateway's own item reads back as the summary turn; another provider's is dropped", () => {
    const compaction = compactionResponse(
      {
        id: "c",
        created: 1,
        choices: [{ message: { content: "The user wants X." }, finish_reason: "stop" }],
      },
      "resp_k",
    );
    const item = (compaction.output as JsonObject[])[0] as JsonObject;
    expect(item.type).toBe("compaction");
    const { body, dropped } = responsesRequestToChat({
      model: "m",
      input: [
        item,
        { type: "compaction", encrypted_content: "gAAAAopaque" },
        { role: "user", content: "go on" },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: "user",
        content: "Summary of the conversation so far (it replaces the earlier turns):\n\nThe user wants X.",
      },
      { role: "user", content: "go on" },
    ]);
    expect(dropped).toEqual(["input.compaction"]);
  });

  test("remote compaction v2 (input ends in `compaction_trigger`): a summary turn, no tool calls", () => {
    // The shape Codex 0.169.0 sends mid-turn with its built-in OpenAI provider.
    const { body, dropped, compact } = responsesRequestToChat({
      model: "m",
      stream: true,
      tool_choice: "auto",
      tools: [{ type: "custom", name: "exec", description: "run" }],
      input: [
        { type: "message", role: "user", content: [{ type: "input_text", text: "say hi" }] },
        { type: "custom_tool_call", call_id: "call_1", name: "exec", input: "ls" },
        {
          type: "custom_tool_call_output",
          call_id: "call_1",
          output: [{ type: "input_text", text: "a.txt" }],
        },
        { type: "compaction_trigger" },
      ],
    });
    expect(compact).toBe(true);
    expect((body.messages as JsonObject[]).map((m) => m.role)).toEqual(["user", "assistant", "tool", "user"]);
    expect((body.messages as JsonObject[]).at(-1)).toEqual({ role: "user", content: COMPACT_PROMPT });
    expect(body.tool_choice).toBe("none");
    expect(dropped).toEqual([]);
    // A trigger that is not last (an old one in the history) asks for nothing.
    const later = responsesRequestToChat({
      model: "m",
      input: [{ type: "compaction_trigger" }, { role: "user", content: "go on" }],
    });
    expect(later.compact).toBe(false);
    expect(later.body.messages).toEqual([{ role: "user", content: "go on" }]);
  });

  test("OpenAI Agents SDK 0.20.0 (recorded): settings carried, hosted web_search dropped and named", () => {
    const { body, dropped } = responsesRequestToChat(recorded("openai-agents-0.20.0.json"));
    expect(body).toMatchObject({
      reasoning_effort: "high",
      verbosity: "low",
      service_tier: "flex",
      prompt_cache_key: "forecasts",
      response_format: { type: "json_schema", json_schema: { name: "output", strict: true } },
    });
    expect(body.metadata).toBeUndefined();
    expect((body.tools as ChatTool[]).map((tool) => tool.function.name)).toEqual(["get_weather"]);
    expect(dropped).toEqual(["tools.web_search"]);
  });
});
