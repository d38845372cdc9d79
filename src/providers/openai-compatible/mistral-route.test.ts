import { afterAll, describe, expect, test } from "bun:test";
import { mistralServer } from "../../../test/fake-upstream/mistral-api.ts";
import type { ProviderConfig } from "../../config/config-schema.ts";
import type { JsonObject, Operation } from "../../core/dialect.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { Dispatched } from "../../routing/dispatch.ts";
import { chatRequest, drain, routerFor } from "../../routing/router-test-kit.ts";
import { createProvider } from "../create-provider.ts";
import type { Provider } from "../provider.ts";
import { createOpenAICompatibleProvider } from "./openai-compatible-provider.ts";
import { OPENAI_PRESETS } from "./presets.ts";

// Real clients' requests on a route to Mistral (`preset: mistral`), against a fake that checks
// them as Mistral's API does and refuses with its words (test/fake-upstream/mistral-api.ts). Each failed with
// Mistral's 400 before the gateway sent the messages in a form Mistral takes (mistral-chat.ts).

const mistral = mistralServer();
afterAll(() => mistral.server.stop(true));

const provider = () => ({
  ...createOpenAICompatibleProvider({
    name: "mistral",
    baseUrl: mistral.baseUrl,
    apiKey: "k",
    preset: OPENAI_PRESETS.mistral,
  }),
  calls: [],
});

/** `body` dispatched as a front door of `operation` hands it on (its bytes too), on one Mistral route. */
async function dispatch(
  operation: Operation,
  body: JsonObject,
  upstream: () => Provider = provider,
): Promise<Dispatched> {
  const config = {
    providers: [{ name: "mistral", type: "openai", preset: "mistral" }],
    models: [{ name: "m", routes: [{ provider: "mistral", model: "mistral-large-latest" }] }],
    routing: { retries: 0 },
  };
  mistral.received.length = 0;
  return routerFor(config, [{ ...upstream(), calls: [] }]).router(
    chatRequest("m", {
      operation,
      body,
      stream: body.stream === true,
      ...(operation === "responses"
        ? { responses: { id: "resp_mistral", previous: [], onResponse: () => {} } }
        : {}),
    }),
  );
}

/** What Mistral was sent last. */
const sent = (): JsonObject => mistral.received.at(-1) ?? {};
const roles = (body: JsonObject) => (body.messages as JsonObject[]).map((m) => m.role);

/** The text a dispatched answer says: a whole body's, or a stream's deltas joined. */
async function textOf(dispatched: Dispatched): Promise<string> {
  const reply = dispatched.reply;
  if (reply.kind === "json") {
    const body = reply.body as {
      content?: { text?: string }[];
      choices?: { message: { content: string } }[];
    };
    return (
      body.content?.map((block) => block.text ?? "").join("") ?? body.choices?.[0]?.message.content ?? ""
    );
  }
  if (reply.kind === "bytes")
    return JSON.parse(new TextDecoder().decode(reply.body)).choices[0].message.content;
  let text = "";
  for (const data of await drain(reply.chunks)) {
    if (data === "[DONE]") continue;
    const event = JSON.parse(data);
    text += event.delta?.text ?? event.choices?.[0]?.delta?.content ?? "";
  }
  return text;
}

describe("Claude Code on a Mistral route (the Messages front door)", () => {
  // A session begun on Claude (`/model` switched, or a failover): Claude's `toolu_…` ids, and the
  // user turn Claude Code sends after a tool ran, its results then (`reminded`) a reminder as text.
  const session = (extra: JsonObject = {}, reminded = true): JsonObject => ({
    model: "m",
    max_tokens: 32000,
    // Sent on every request: the Messages translation writes it as chat's `user`, which Mistral refuses.
    metadata: { user_id: JSON.stringify({ device_id: "d".repeat(64), account_uuid: "", session_id: "s" }) },
    system: [{ type: "text", text: "You are Claude Code." }],
    tools: [
      { name: "Read", input_schema: { type: "object", properties: { file_path: { type: "string" } } } },
    ],
    messages: [
      { role: "user", content: "What is in README.md?" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Reading it." },
          {
            type: "tool_use",
            id: "toolu_01A09q90qw90lq917835lq9",
            name: "Read",
            input: { file_path: "README.md" },
          },
          {
            type: "tool_use",
            id: "toolu_01B19q90qw90lq917835lq9",
            name: "Read",
            input: { file_path: "LICENSE" },
          },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_01A09q90qw90lq917835lq9", content: "# mindgw" },
          { type: "tool_result", tool_use_id: "toolu_01B19q90qw90lq917835lq9", content: "MIT" },
          ...(reminded ? [{ type: "text", text: "<system-reminder>Keep going.</system-reminder>" }] : []),
        ],
      },
    ],
    ...extra,
  });

  test("Claude's tool-call ids go as 9 letters and digits, a call's and its result's the same", async () => {
    const dispatched = await dispatch("messages", session({}, false));
    expect(await textOf(dispatched)).toBe("Bonjour.");
    const messages = sent().messages as JsonObject[];
    const calls = ((messages[2] as JsonObject).tool_calls as JsonObject[]).map((call) => call.id);
    const results = messages.filter((m) => m.role === "tool").map((m) => m.tool_call_id);
    expect(results).toEqual(calls);
    for (const id of calls) expect(id).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(new Set(calls).size).toBe(2);
    // The same each time the session comes back (the prompt's prefix stays what Mistral cached).
    await dispatch("messages", session({}, false));
    expect((sent().messages as JsonObject[])[2]?.tool_calls).toEqual(messages[2]?.tool_calls);
  });

  test("the text beside the tool results goes in the last result, not as a user message after it", async () => {
    const dispatched = await dispatch("messages", session({ stream: true }));
    expect(await textOf(dispatched)).toBe("Bonjour.");
    // Nor the fields Mistral's schema has not: its stream says its usage unasked.
    expect([sent().stream_options, sent().user]).toEqual([undefined, undefined]);
    expect(roles(sent())).toEqual(["system", "user", "assistant", "tool", "tool"]);
    expect((sent().messages as JsonObject[]).at(-1)?.content).toBe(
      "MIT\n\n<system-reminder>Keep going.</system-reminder>",
    );
  });

  test("a prefill is continued, the answer without the prefix Mistral writes again (stream and whole)", async () => {
    const prefill = (stream: boolean): JsonObject => ({
      model: "m",
      max_tokens: 100,
      stream,
      messages: [
        { role: "user", content: "Name a colour, as JSON." },
        { role: "assistant", content: '{"colour": ' },
      ],
    });
    for (const stream of [false, true]) {
      const dispatched = await dispatch("messages", prefill(stream));
      expect((sent().messages as JsonObject[]).at(-1)).toEqual({
        role: "assistant",
        content: '{"colour": ',
        prefix: true,
      });
      expect(await textOf(dispatched)).toBe("Bonjour.");
    }
  });
});

describe("OpenAI-dialect callers on a Mistral route", () => {
  test("a caller's own prefix: true is Mistral's to answer as it does, the prefix again at the answer's start (stream and whole)", async () => {
    // Mistral's guide reads such an answer from len(prefix): the gateway strips only a prefix it asked for.
    for (const stream of [false, true]) {
      const dispatched = await dispatch("chat", {
        model: "m",
        stream,
        messages: [
          { role: "user", content: "Name a colour, as JSON." },
          { role: "assistant", content: '{"colour": ', prefix: true },
        ],
      });
      expect(await textOf(dispatched)).toBe('{"colour": Bonjour.');
    }
  });

  test("an Agents SDK handoff's history (OpenAI's call ids) and a late system message, as chat", async () => {
    const body: JsonObject = {
      model: "m",
      messages: [
        { role: "system", content: "You are the billing agent." },
        { role: "user", content: "Refund order 7." },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "call_Xk2mZ9Qw3rT8yUvB1nLp0aSd",
              type: "function",
              function: { name: "transfer_to_billing", arguments: "{}" },
            },
          ],
        },
        { role: "tool", tool_call_id: "call_Xk2mZ9Qw3rT8yUvB1nLp0aSd", content: '{"assistant":"billing"}' },
        { role: "system", content: "Refunds need a reason." },
        { role: "user", content: "It arrived broken." },
      ],
    };
    const dispatched = await dispatch("chat", body);
    expect(await textOf(dispatched)).toBe("Bonjour.");
    expect(roles(sent())).toEqual(["system", "user", "assistant", "tool"]);
    const messages = sent().messages as JsonObject[];
    expect(messages[0]?.content).toBe("You are the billing agent.\n\nRefunds need a reason.");
    expect(messages[3]?.content).toBe('{"assistant":"billing"}\n\nIt arrived broken.');
    expect(messages[3]?.tool_call_id).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(messages[3]?.tool_call_id).toBe(((messages[2] as JsonObject).tool_calls as JsonObject[])[0]?.id);
  });

  test("a chat caller's stream: the gateway's own ask for usage goes unsent, the usage Mistral sends counted", async () => {
    const dispatched = await dispatch("chat", {
      model: "m",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(await textOf(dispatched)).toBe("Bonjour.");
    expect(sent().stream_options).toBeUndefined();
    expect(dispatched.usage()).toMatchObject({ inputTokens: 10, outputTokens: 3 });
  });

  test("an OpenAI SDK caller's history as the SDK returns it: the answer's echoes, a developer message, a seed", async () => {
    const dispatched = await dispatch("chat", {
      model: "m",
      seed: 7,
      messages: [
        { role: "developer", content: "Answer in French." },
        { role: "user", name: "alice", content: "hi" },
        // `messages.append(completion.choices[0].message)`: the fields of the answer, nulls too.
        {
          role: "assistant",
          content: "Hello!",
          refusal: null,
          annotations: [],
          audio: null,
          function_call: null,
          reasoning_content: "Greet back.",
        },
        { role: "user", content: "how are you?" },
      ],
    });
    expect(await textOf(dispatched)).toBe("Bonjour.");
    expect(sent().messages).toEqual([
      { role: "system", content: "Answer in French." },
      { role: "user", content: "hi" },
      { role: "assistant", content: "Hello!" },
      { role: "user", content: "how are you?" },
    ]);
    expect([sent().seed, sent().random_seed]).toEqual([undefined, 7]);
  });

  test("Codex's developer message mid-session (the Responses front door)", async () => {
    const body: JsonObject = {
      model: "m",
      instructions: "You are Codex.",
      // Written as chat's `verbosity`, which Mistral has not.
      text: { verbosity: "low" },
      prompt_cache_key: "session-1",
      input: [
        { type: "message", role: "user", content: [{ type: "input_text", text: "ls" }] },
        { type: "function_call", call_id: "call_abc123def456", name: "shell", arguments: '{"cmd":"ls"}' },
        { type: "function_call_output", call_id: "call_abc123def456", output: "README.md" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "One file." }] },
        { type: "message", role: "developer", content: [{ type: "input_text", text: "Approvals: never." }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "cat it" }] },
      ],
      tools: [{ type: "function", name: "shell", parameters: { type: "object", properties: {} } }],
    };
    const dispatched = await dispatch("responses", body);
    expect(dispatched.reply.kind).toBe("json");
    expect(roles(sent())).toEqual(["system", "user", "assistant", "tool", "assistant", "user"]);
    expect((sent().messages as JsonObject[])[0]?.content).toBe("You are Codex.\n\nApprovals: never.");
    expect([sent().verbosity, sent().prompt_cache_key]).toEqual([undefined, "session-1"]);
  });

  test("an assistant turn that says nothing (no text, no calls) goes unsent, mid-conversation or last", async () => {
    // OpenAI takes such a turn; Mistral refuses it (400 "Assistant message must have either content
    // or tool_calls, but not none."), as every mistral-common tokenizer does.
    const dispatched = await dispatch("chat", {
      model: "m",
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: null },
        { role: "user", content: "still there?" },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ id: "abcdefghi", type: "function", function: { name: "f", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "abcdefghi", content: "done" },
        { role: "assistant", content: [] },
      ],
    });
    expect(await textOf(dispatched)).toBe("Bonjour.");
    expect(roles(sent())).toEqual(["user", "user", "assistant", "tool"]);
  });

  test("what OpenAI refuses too is left as it is, for Mistral to refuse: a call left unanswered", async () => {
    const refused = (await dispatch("chat", {
      model: "m",
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          tool_calls: [{ id: "abcdefghi", type: "function", function: { name: "f", arguments: "{}" } }],
        },
        { role: "user", content: "well?" },
      ],
    }).catch((e: unknown) => e)) as GatewayError;
    expect(refused.status).toBe(400);
    expect(refused.message).toBe("Not the same number of function calls and responses");
  });
});

describe("a provider whose base_url is Mistral's API, without preset: mistral", () => {
  /** A provider made from `config` as the gateway makes it at load, its calls sent to the fake. */
  const configured = (config: JsonObject) => () =>
    createProvider({ name: "mistral", type: "openai", api_key: "k", ...config } as ProviderConfig, {
      maxSseLine: 1 << 20,
      fetch: Object.assign(
        (input: string | URL | Request, init?: RequestInit) =>
          fetch(String(input).replace("https://api.mistral.ai/v1", mistral.baseUrl), init),
        { preconnect: () => {} },
      ) as typeof fetch,
    });

  test("Claude Code's session goes as Mistral takes it: the host api.mistral.ai is Mistral's preset", async () => {
    const body: JsonObject = {
      model: "m",
      max_tokens: 1000,
      stream: true,
      metadata: { user_id: "u" },
      messages: [{ role: "user", content: "hi" }],
    };
    const dispatched = await dispatch(
      "messages",
      body,
      configured({ base_url: "https://api.mistral.ai/v1" }),
    );
    expect(await textOf(dispatched)).toBe("Bonjour.");
    expect([sent().stream_options, sent().user, sent().max_tokens]).toEqual([undefined, undefined, 1000]);
  });

  test("a preset of its own wins over the host's", async () => {
    const refused = (await dispatch(
      "chat",
      { model: "m", user: "u", messages: [{ role: "user", content: "hi" }] },
      configured({ base_url: "https://api.mistral.ai/v1", preset: "groq" }),
    ).catch((e: unknown) => e)) as GatewayError;
    expect(refused.status).toBe(422);
  });
});
