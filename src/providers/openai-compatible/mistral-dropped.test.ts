import { afterAll, describe, expect, test } from "bun:test";
import { mistralServer } from "../../../test/fake-upstream/mistral-api.ts";
import type { JsonObject } from "../../core/dialect.ts";
import { type Authenticator, createGateway, parseConfig, silentLogger } from "../../index.ts";
import { jwtCaller } from "../../testing/jwt-caller.ts";
import { createProvider } from "../create-provider.ts";

// What a `preset: mistral` route leaves out of a request because Mistral's schema has not got it
// (mistral-chat.ts) is named in `x-mindgw-dropped`, as a translation names what it cannot carry,
// in the caller's words, through the whole gateway, against the fake Mistral API.

const mistral = mistralServer();
afterAll(() => mistral.server.stop(true));

const anyone: Authenticator = async () => jwtCaller;

/**
 * A gateway with model `m` on one `preset: mistral` route to the fake (and on a mock's after it,
 * `fallback`); `translation` its policy.
 */
async function mistralGateway(translation: object = {}, fallback = false) {
  const config = {
    name: "mistral",
    type: "openai",
    preset: "mistral",
    base_url: mistral.baseUrl,
    api_key: "k",
  };
  return createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [config, { name: "mock", type: "mock" }],
      models: [
        {
          name: "m",
          routes: [
            { provider: "mistral", model: "mistral-large-latest" },
            ...(fallback ? [{ provider: "mock", model: "echo" }] : []),
          ],
        },
      ],
      routing: { retries: 0 },
      translation,
    }),
    auth: anyone,
    logger: silentLogger,
    providers: (provider, context) => createProvider(provider, context),
  });
}

const post = (path: string, body: JsonObject) =>
  new Request(`http://gw${path}`, {
    method: "POST",
    headers: {
      authorization: "Bearer t",
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
    },
    body: JSON.stringify({ model: "m", ...body }),
  });

/** What the gateway answers `body` on `path`, with the header that names what was dropped. */
async function asked(path: string, body: JsonObject, translation?: object, fallback?: boolean) {
  const gateway = await mistralGateway(translation, fallback);
  try {
    const response = await gateway.handle(post(path, body));
    return {
      status: response.status,
      dropped: response.headers.get("x-mindgw-dropped"),
      body: await response.text(),
    };
  } finally {
    await gateway.stop();
  }
}

describe("what a Mistral route leaves out is named", () => {
  test("a chat caller's fields and its history's message fields, stream or not; its gateway-asked usage is not", async () => {
    for (const stream of [false, true]) {
      const answer = await asked("/v1/chat/completions", {
        stream,
        user: "alice",
        store: true,
        service_tier: "flex",
        messages: [
          { role: "user", name: "alice", content: "hi" },
          {
            role: "assistant",
            content: "Hello!",
            refusal: null,
            annotations: [],
            reasoning_content: "Greet.",
          },
          { role: "user", content: "how are you?" },
        ],
      });
      expect(answer.status).toBe(200);
      expect(answer.dropped).toBe("user, store, service_tier, messages.name, messages.reasoning_content");
    }
  });

  test("what asks for nothing is not named: store false, service_tier auto, null echoes", async () => {
    const answer = await asked("/v1/chat/completions", {
      store: false,
      service_tier: "auto",
      messages: [{ role: "user", content: "hi", name: null }],
    });
    expect([answer.status, answer.dropped]).toEqual([200, null]);
  });

  test("Claude Code's metadata.user_id and a Responses caller's text.verbosity, by their own names", async () => {
    const messages = await asked("/v1/messages", {
      max_tokens: 100,
      metadata: { user_id: "u" },
      messages: [{ role: "user", content: "hi" }],
    });
    expect([messages.status, messages.dropped]).toEqual([200, "metadata.user_id"]);
    const responses = await asked("/v1/responses", { input: "hi", text: { verbosity: "low" } });
    expect([responses.status, responses.dropped]).toEqual([200, "text.verbosity"]);
  });

  test("under translation.unsupported: reject, a 400 naming the field, Mistral never called", async () => {
    mistral.received.length = 0;
    const answer = await asked(
      "/v1/chat/completions",
      { user: "alice", messages: [{ role: "user", content: "hi" }] },
      { unsupported: "reject" },
    );
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.param).toBe("user");
    expect(mistral.received).toEqual([]);
  });
});

describe("a file Mistral's chat API cannot take", () => {
  const PDF = "JVBERi0xLjQK";

  test("a chat caller's file part: a 400 naming the part, Mistral never called", async () => {
    mistral.received.length = 0;
    const answer = await asked("/v1/chat/completions", {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Summarise it." },
            { type: "file", file: { filename: "q3.pdf", file_data: `data:application/pdf;base64,${PDF}` } },
          ],
        },
      ],
    });
    expect(answer.status).toBe(400);
    const error = JSON.parse(answer.body).error;
    expect(error.param).toBe("messages.0.content.1");
    expect(error.message).toContain("Mistral");
    expect(mistral.received).toEqual([]);
  });

  test("Claude Code's PDF document block: a 400 naming the block where Claude Code sent it", async () => {
    mistral.received.length = 0;
    const answer = await asked("/v1/messages", {
      max_tokens: 100,
      system: "You are Claude Code.",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Summarise it." },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: PDF } },
          ],
        },
      ],
    });
    expect(answer.status).toBe(400);
    const error = JSON.parse(answer.body).error;
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toStartWith("messages.0.content.1");
    expect(mistral.received).toEqual([]);
  });

  test("the model's next route, which reads files, answers it", async () => {
    mistral.received.length = 0;
    const file = {
      type: "file",
      file: { filename: "q3.pdf", file_data: `data:application/pdf;base64,${PDF}` },
    };
    const answer = await asked(
      "/v1/chat/completions",
      { messages: [{ role: "user", content: [{ type: "text", text: "Summarise it." }, file] }] },
      undefined,
      true,
    );
    expect(answer.status).toBe(200);
    expect(mistral.received).toEqual([]);
  });

  test("Mistral's own file part (a Mistral file id), a caller's that speaks Mistral's API, goes as sent", async () => {
    const file = { type: "file", file_id: "5c3ca4cd-62bc-4c71-ad8a-1531ae80d078" };
    const answer = await asked("/v1/chat/completions", {
      messages: [{ role: "user", content: [{ type: "text", text: "Summarise it." }, file] }],
    });
    expect(answer.status).toBe(200);
    expect((mistral.received.at(-1)?.messages as JsonObject[] | undefined)?.[0]?.content).toEqual([
      { type: "text", text: "Summarise it." },
      file,
    ]);
  });
});
