import { describe, expect, test } from "bun:test";
import type { ProviderConfig } from "../../config/config-schema.ts";
import type { JsonObject } from "../../core/dialect.ts";
import { type Authenticator, createGateway, parseConfig, silentLogger } from "../../index.ts";
import { claudeMessage } from "../../testing/answer-wire.ts";
import { jwtCaller } from "../../testing/jwt-caller.ts";
import { createProvider } from "../create-provider.ts";
import { vertexEndpoint } from "./gemini-provider.ts";
import { createVertexAnthropicProvider } from "./vertex-anthropic-provider.ts";

// Claude on Vertex AI refuses an image or document by URL ("URL sources are not supported",
// anthropics/anthropic-sdk-typescript#1038), which Anthropic's API fetches. The gateway refuses
// such a call for a Vertex route before sending it (the route's `unsupported_modality`), so the
// model's next route, which may fetch it, is tried; with none, the caller's 400 names the part.
// The gateway never fetches the URL itself.

const anyone: Authenticator = async () => jwtCaller;
const IMAGE = "https://example.com/cat.png";
const PDF = "https://example.com/paper.pdf";

/** Vertex AI as it answers Claude's calls: a `url` source anywhere refused, in Anthropic's error body. */
function vertexAnswer(sent: JsonObject): Response {
  if (JSON.stringify(sent).includes('"type":"url"'))
    return Response.json(
      {
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "messages.0.content.0.image.source.base64.data: URL sources are not supported",
        },
      },
      { status: 400 },
    );
  return Response.json(claudeMessage("claude-sonnet-4-5@20250929"));
}

/** A gateway with model `m` on Claude on Vertex AI, then (`fallback`) Anthropic's API; the calls each got. */
async function gateway(fallback: boolean) {
  const calls = { vertex: 0, anthropic: 0 };
  const fetch = (answer: (sent: JsonObject) => Response, counted: keyof typeof calls) =>
    Object.assign(
      async (_: unknown, init?: RequestInit) => {
        calls[counted]++;
        return answer(JSON.parse(String(init?.body)) as JsonObject);
      },
      { preconnect: () => {} },
    ) as typeof globalThis.fetch;
  const vertex = createVertexAnthropicProvider({
    name: "vc",
    fetch: fetch(vertexAnswer, "vertex"),
    endpoint: vertexEndpoint(
      "acme",
      "us-east5",
      "http://vertex.test",
      { get: async () => "token", invalidate: () => false },
      "anthropic",
    ),
  });
  const routes = [{ provider: "vc", model: "claude-sonnet-4-5@20250929" }];
  if (fallback) routes.push({ provider: "a", model: "claude-sonnet-4-5" });
  const built = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [
        {
          name: "vc",
          type: "vertex",
          publisher: "anthropic",
          project: "acme",
          location: "us-east5",
          service_account: "/none.json",
        },
        { name: "a", type: "anthropic", api_key: "k", base_url: "http://anthropic.test" },
      ],
      models: [{ name: "m", routes }],
      routing: { retries: 0 },
    }),
    auth: anyone,
    logger: silentLogger,
    providers: (config, context) =>
      config.name === "vc"
        ? vertex
        : createProvider(config as ProviderConfig, {
            ...context,
            fetch: fetch(() => Response.json(claudeMessage("claude-sonnet-4-5-20250929")), "anthropic"),
          }),
  });
  return { gateway: built, calls };
}

const userTurn = (block: JsonObject) => [
  { role: "user", content: [block, { type: "text", text: "What is this?" }] },
];

const CALLS: Record<string, [string, JsonObject]> = {
  "a Messages image by URL": [
    "/v1/messages",
    { max_tokens: 50, messages: userTurn({ type: "image", source: { type: "url", url: IMAGE } }) },
  ],
  "a Messages document by URL": [
    "/v1/messages",
    { max_tokens: 50, messages: userTurn({ type: "document", source: { type: "url", url: PDF } }) },
  ],
  "a Messages image by URL in a tool result": [
    "/v1/messages",
    {
      max_tokens: 50,
      messages: [
        { role: "user", content: "look" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "see", input: {} }] },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "toolu_1",
              content: [{ type: "image", source: { type: "url", url: IMAGE } }],
            },
          ],
        },
      ],
      tools: [{ name: "see", input_schema: { type: "object" } }],
    },
  ],
  "a chat image_url": [
    "/v1/chat/completions",
    { messages: userTurn({ type: "image_url", image_url: { url: IMAGE } }) },
  ],
  "a chat file by URL": [
    "/v1/chat/completions",
    { messages: userTurn({ type: "file", file: { file_url: PDF } }) },
  ],
  "a Responses input_image by URL": [
    "/v1/responses",
    {
      input: [
        {
          role: "user",
          content: [
            { type: "input_image", image_url: IMAGE },
            { type: "input_text", text: "What?" },
          ],
        },
      ],
    },
  ],
};

const ask = (path: string, body: JsonObject) =>
  new Request(`http://gw${path}`, {
    method: "POST",
    headers: {
      authorization: "Bearer t",
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
    },
    body: JSON.stringify({ model: "m", ...body }),
  });

describe("a part by URL, for a model on Claude on Vertex AI", () => {
  test.each(Object.keys(CALLS))(
    "%s: the Vertex route is passed over unsent, the next route answers",
    async (name) => {
      const [path, body] = CALLS[name] as [string, JsonObject];
      const { gateway: gw, calls } = await gateway(true);
      try {
        const response = await gw.handle(ask(path, body));
        expect([response.status, calls]).toEqual([200, { vertex: 0, anthropic: 1 }]);
      } finally {
        await gw.stop();
      }
    },
  );

  test("with no other route: the caller's 400 in its dialect, unsupported_modality, naming the part; nothing sent", async () => {
    const { gateway: gw, calls } = await gateway(false);
    try {
      const [messagesPath, messagesBody] = CALLS["a Messages image by URL"] as [string, JsonObject];
      const messages = await gw.handle(ask(messagesPath, messagesBody));
      const said = (await messages.json()) as { type: string; error: { type: string; message: string } };
      expect([messages.status, said.type, said.error.type]).toEqual([400, "error", "invalid_request_error"]);
      expect(said.error.message).toStartWith("messages.0.content.0.source");
      const [chatPath, chatBody] = CALLS["a chat image_url"] as [string, JsonObject];
      const chat = await gw.handle(ask(chatPath, chatBody));
      const error = ((await chat.json()) as { error: { code: string; param: string; type: string } }).error;
      expect([chat.status, error.code, error.param, error.type]).toEqual([
        400,
        "unsupported_modality",
        "messages.0.content.0.image_url",
        "invalid_request_error",
      ]);
      const [responsesPath, responsesBody] = CALLS["a Responses input_image by URL"] as [string, JsonObject];
      const responses = await gw.handle(ask(responsesPath, responsesBody));
      const refused = (
        (await responses.json()) as { error: { code: string; param: string; message: string } }
      ).error;
      expect([responses.status, refused.code, refused.param]).toEqual([
        400,
        "unsupported_modality",
        "input[0].content[0].image_url",
      ]);
      expect(calls.vertex).toBe(0);
    } finally {
      await gw.stop();
    }
  });

  test("an image as base64 data goes to Vertex AI as before", async () => {
    const { gateway: gw, calls } = await gateway(true);
    try {
      const block = {
        type: "image",
        source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
      };
      const response = await gw.handle(ask("/v1/messages", { max_tokens: 50, messages: userTurn(block) }));
      expect([response.status, calls]).toEqual([200, { vertex: 1, anthropic: 0 }]);
    } finally {
      await gw.stop();
    }
  });
});
