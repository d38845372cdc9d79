import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { createBedrockProvider } from "../providers/bedrock/bedrock-provider.ts";
import { createMockProvider } from "../providers/mock/mock-provider.ts";
import type { Provider } from "../providers/provider.ts";
import { gatewayErrorOf } from "../testing/gateway-error-of.ts";
import { CONVERSE_TARGET } from "../translate/openai-to-bedrock/chat-request-to-converse.ts";
import { GEMINI_TARGET } from "../translate/openai-to-gemini/chat-request-to-gemini.ts";
import { GOOGLE_EMBEDDINGS_TARGET } from "../translate/openai-to-gemini/embeddings-to-google.ts";
import { adaptDialect, type ResponsesContext } from "./adapt-dialect.ts";
import { chatRequest, fakeProvider, routerFor } from "./router-test-kit.ts";

// What a translation leaves out reaches `AdaptedCall.dropped` (the header, the audit row) on every
// route that translates chat: Anthropic's, the providers that translate in their own `call`
// (Bedrock, Gemini), and a Responses call translated on through chat.

const call = () => Promise.reject(new Error("not called"));
const anthropic: Provider = { name: "an", dialect: "anthropic", call };
const bedrock: Provider = { name: "br", dialect: "openai", chatTarget: CONVERSE_TARGET, call };
const openai: Provider = { name: "oa", dialect: "openai", passThrough: true, call };
const chat = (extra: JsonObject) => ({ model: "m", messages: [{ role: "user", content: "hi" }], ...extra });
const context: ResponsesContext = { id: "resp_1", previous: [], onResponse: () => {} };

describe("dropped fields of a chat call", () => {
  test("to Anthropic: named", () => {
    const adapted = adaptDialect("chat", chat({ seed: 1, logprobs: true, temperature: 1.5 }), anthropic, "m");
    expect(adapted.dropped).toEqual(["seed", "logprobs", "temperature (clamped to 1)"]);
  });

  test("to a provider that translates itself: named before it is called, its body untouched", () => {
    const body = chat({ user: "u", stream: true });
    const adapted = adaptDialect("chat", body, bedrock, "m");
    expect(adapted.dropped).toEqual(["user"]);
    expect(adapted.body).toEqual({ ...body, stream_options: { include_usage: true } });
  });

  test("under reject, refused with a 400 naming the field", () => {
    const error = (() => {
      try {
        adaptDialect("chat", chat({ presence_penalty: 1 }), bedrock, "m", undefined, "reject");
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect(error).toBeInstanceOf(GatewayError);
    expect([error?.status, error?.param]).toEqual([400, "presence_penalty"]);
  });

  test("same dialect: nothing to name, nothing looked at", () => {
    expect(adaptDialect("chat", chat({ seed: 1 }), openai, "m").dropped).toBeUndefined();
  });

  test("a Responses call on Anthropic: both steps' names, in the caller's words", () => {
    const body = { model: "m", input: "hi", text: { verbosity: "low" }, top_logprobs: 2, temperature: 2 };
    const adapted = adaptDialect("responses", body, anthropic, "m", context);
    expect(adapted.dropped).toEqual(["text.verbosity", "top_logprobs", "temperature (clamped to 1)"]);
    const refused = (() => {
      try {
        adaptDialect("responses", body, anthropic, "m", context, "reject");
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect(refused?.param).toBe("text.verbosity");
  });

  test("a Responses call on a route that serves the Responses API: nothing named, every field sent", () => {
    const native: Provider = { ...openai, responsesApi: true };
    const body = { model: "m", input: "hi", max_tool_calls: 1, conversation: "conv_1", prompt: { id: "p" } };
    const adapted = adaptDialect("responses", body, native, "m", context, "reject");
    expect(adapted.dropped).toBeUndefined();
    expect(adapted.body).toEqual(body);
  });

  test("tool_choice none on Converse, a compaction's own or the caller's: carried (no tools offered), neither named nor refused", () => {
    const tools = [{ type: "function", name: "shell", parameters: { type: "object", properties: {} } }];
    const input = [{ type: "message", role: "user", content: "run ls" }, { type: "compaction_trigger" }];
    const body = { model: "m", input, tools };
    const adapted = adaptDialect("responses", body, bedrock, "m", context, "reject");
    expect(adapted.dropped ?? []).not.toContain("tool_choice.none");
    expect(adapted.body.tool_choice).toBe("none");
    const asked = { model: "m", input: "hi", tools, tool_choice: "none" };
    expect(adaptDialect("responses", asked, bedrock, "m", context, "reject").dropped ?? []).toEqual([]);
  });
});

describe("dropped fields of a messages call on a route whose vendor step is another API (messages → chat → vendor)", () => {
  const gemini: Provider = { name: "gm", dialect: "openai", chatTarget: GEMINI_TARGET, call };
  const messages = (extra: JsonObject) => ({
    model: "m",
    max_tokens: 100,
    messages: [{ role: "user", content: "hi" }],
    ...extra,
  });
  const WEATHER = { name: "get_weather", input_schema: { type: "object", properties: {} } };

  test("on Converse: thinking and metadata.user_id named as the Anthropic caller sent them; tool_choice none carried", () => {
    const adapted = adaptDialect(
      "messages",
      messages({
        thinking: { type: "enabled", budget_tokens: 1024 },
        metadata: { user_id: "u-1" },
        tools: [WEATHER],
        tool_choice: { type: "none" },
      }),
      bedrock,
      "m",
    );
    expect(adapted.dropped).toEqual(["metadata.user_id", "thinking"]);
    // The first step's own names come along, each once.
    expect(adaptDialect("messages", messages({ top_k: 5 }), bedrock, "m").dropped).toEqual(["top_k"]);
  });

  test("on Converse: a schema it cannot enforce is named where the caller asked for it", () => {
    const format = { type: "json_schema", schema: { type: "object" } };
    const named = (extra: JsonObject) => adaptDialect("messages", messages(extra), bedrock, "m").dropped;
    expect(named({ output_config: { format } })).toEqual(["output_config.format"]);
    expect(named({ output_format: format })).toEqual(["output_format"]);
  });

  test("on Gemini: thinking is carried (as a thinking budget); metadata.user_id is named", () => {
    const adapted = adaptDialect(
      "messages",
      messages({ thinking: { type: "enabled", budget_tokens: 1024 }, metadata: { user_id: "u-1" } }),
      gemini,
      "m",
    );
    expect(adapted.dropped).toEqual(["metadata.user_id"]);
  });

  test("under reject, refused with a 400 naming the Anthropic field", () => {
    const refused = (() => {
      try {
        adaptDialect(
          "messages",
          messages({ thinking: { type: "enabled", budget_tokens: 1024 } }),
          bedrock,
          "m",
          undefined,
          "reject",
        );
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect(refused).toBeInstanceOf(GatewayError);
    expect([refused?.status, refused?.param]).toEqual([400, "thinking"]);
  });

  test("an OpenAI-dialect upstream that takes chat itself: nothing named", () => {
    const adapted = adaptDialect("messages", messages({ metadata: { user_id: "u-1" } }), openai, "m");
    expect(adapted.dropped).toEqual([]);
  });
});

// Embeddings on a provider that translates them in its own `call` (Bedrock, Google, the mock): what
// the vendor's API cannot take is named, or refused under reject, before the provider is called.
describe("dropped fields of an embeddings call", () => {
  const titan = "amazon.titan-embed-text-v2:0";
  const cohere = "cohere.embed-english-v3";
  const embed = (extra: JsonObject) => ({ model: "e", input: ["a", "b"], ...extra });
  const google: Provider = {
    name: "gm",
    dialect: "openai",
    embeddingsTarget: GOOGLE_EMBEDDINGS_TARGET,
    call,
  };
  const mock = createMockProvider("mk");

  test("user is named on every one; a vendor's own field only where another vendor reads it", () => {
    const body = embed({ user: "alice", dimensions: 8, encoding_format: "base64", task_type: "X" });
    expect(adaptDialect("embeddings", body, google, "e").dropped).toEqual(["user"]);
    expect(adaptDialect("embeddings", body, mock, "e").dropped).toEqual(["user", "task_type"]);
    const bedrock = createBedrockProvider({ name: "br", region: "us-east-1", credentials: {} });
    const cohereAsk = embed({ user: "alice", input_type: "search_query" });
    expect(adaptDialect("embeddings", cohereAsk, bedrock, "e", undefined, "drop", cohere).dropped).toEqual([
      "user",
    ]);
    expect(adaptDialect("embeddings", cohereAsk, bedrock, "e", undefined, "drop", titan).dropped).toEqual([
      "user",
      "input_type",
    ]);
    // Its body goes to the provider untouched: it reads what it carries itself.
    expect(adaptDialect("embeddings", body, google, "e").body).toBe(body);
  });

  test("the batch is read once: the provider is handed the request as the route's check read it", async () => {
    const google = { ...fakeProvider("gm"), embeddingsTarget: GOOGLE_EMBEDDINGS_TARGET };
    const { router } = routerFor(
      {
        providers: [{ name: "gm", type: "openai" }],
        models: [{ name: "e", routes: [{ provider: "gm", model: "g" }] }],
      },
      [google],
    );
    const body = embed({ dimensions: 8 });
    await router({ ...chatRequest("e"), operation: "embeddings", body });
    // The provider reads it from here, not with a second parse of the batch.
    expect(google.calls[0]?.embeddingsAsk).toMatchObject({ texts: ["a", "b"], dimensions: 8, base64: false });
    // Bedrock's carried fields are one list a family, not one made a call.
    const bedrock = createBedrockProvider({ name: "br", region: "us-east-1", credentials: {} });
    const carries = (model: string) => bedrock.embeddingsTarget?.carries(model);
    expect(carries(cohere)).toBe(carries("cohere.embed-multilingual-v3") as readonly string[]);
    expect(carries(titan)).toEqual(["model", "input", "dimensions", "encoding_format", "stream"]);
  });

  test("under reject, refused with a 400 naming the field", () => {
    const refused = gatewayErrorOf(() =>
      adaptDialect("embeddings", embed({ user: "alice" }), mock, "e", undefined, "reject"),
    );
    expect([refused.status, refused.param]).toEqual([400, "user"]);
    expect(refused.message).toContain("translation.unsupported: reject");
  });

  test("what no vendor can read is the caller's 400 here, before any call: token ids, an empty list", () => {
    const ids = gatewayErrorOf(() => adaptDialect("embeddings", embed({ input: [[1, 2]] }), google, "e"));
    expect([ids.status, ids.param]).toEqual([400, "input"]);
    const empty = gatewayErrorOf(() => adaptDialect("embeddings", embed({ input: [] }), mock, "e"));
    expect([empty.status, empty.param, empty.message]).toEqual([
      400,
      "input",
      "input: an empty list; send at least one text to embed",
    ]);
  });

  test("a Bedrock model of no embedding family passes the route over, as unsupported, when adapted", () => {
    const bedrock = createBedrockProvider({ name: "br", region: "us-east-1", credentials: {} });
    const nova = gatewayErrorOf(() =>
      adaptDialect("embeddings", embed({}), bedrock, "e", undefined, "drop", "amazon.nova-lite-v1:0"),
    );
    expect(nova.code).toBe("unsupported_operation");
    expect(nova.message).toContain("embeds only with Amazon Titan Text and Cohere Embed models");
  });

  test("a pass-through upstream: nothing named, the body as sent", () => {
    expect(adaptDialect("embeddings", embed({ user: "alice" }), openai, "e").dropped).toBeUndefined();
  });
});

describe("calls a provider that translates chat itself does not serve", () => {
  test("completions on Bedrock or Gemini: refused as unsupported when adapted, as on Anthropic", () => {
    const gemini: Provider = { name: "gm", dialect: "openai", chatTarget: GEMINI_TARGET, call };
    for (const provider of [bedrock, gemini, anthropic]) {
      const refused = gatewayErrorOf(() =>
        adaptDialect("completions", { model: "c", prompt: "x" }, provider, "c"),
      );
      expect([refused.status, refused.code]).toEqual([400, "unsupported_operation"]);
    }
  });
});
