import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { parseConfig } from "../config/load-config.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import { inProcessOpenAI } from "../testing/gateway-sdks.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";

// The stored Responses API's smaller operations as the official SDK calls them (openai-node's
// `client.responses`), the gateway in process on a chat upstream it translates to.

let gateway: Gateway;
let upstream: ReturnType<typeof Bun.serve>;
/** The bodies the upstream's own Responses API was sent (model `n`'s route, not translated). */
const nativeBodies: Record<string, unknown>[] = [];

const chatAnswer = () =>
  Response.json({
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      if (new URL(request.url).pathname !== "/v1/responses") return chatAnswer();
      nativeBodies.push((await request.json()) as Record<string, unknown>);
      return Response.json({
        id: "resp_up1",
        object: "response",
        created_at: 1,
        status: "completed",
        model: "n",
        output: [
          {
            type: "message",
            id: "msg_up1",
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: "hello", annotations: [] }],
          },
        ],
        usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
      });
    },
  });
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [
        { name: "up", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` },
        {
          name: "native",
          type: "openai",
          base_url: `http://127.0.0.1:${upstream.port}/v1`,
          responses_api: true,
        },
      ],
      models: [
        { name: "m", routes: [{ provider: "up", model: "m" }] },
        { name: "n", routes: [{ provider: "native", model: "n" }] },
      ],
    }),
    auth: async () => ({ ...jwtCaller, name: "app" }),
    logger: silentLogger,
  });
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop(true);
});

const client = inProcessOpenAI((request) => gateway.handle(request));

/** What the SDK threw for `call`: its status and OpenAI's error object. */
async function refusal(call: Promise<unknown>): Promise<{ status: number | undefined; error: unknown }> {
  const thrown = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(thrown instanceof OpenAI.APIError)) throw new Error(`expected an APIError, got ${String(thrown)}`);
  return { status: thrown.status, error: thrown.error };
}

/** A raw `POST /v1/responses` of `body` (what the SDK's types would not send): its status and error object. */
async function refusalOf(body: object): Promise<{ status: number; error: unknown }> {
  const response = await gateway.handle(
    new Request("http://gw/v1/responses", {
      method: "POST",
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  return { status: response.status, error: ((await response.json()) as { error?: unknown }).error };
}

describe("POST /v1/responses/{id}/cancel", () => {
  test("a stored response is a synchronous one, in OpenAI's words (400); an unknown id OpenAI's 404", async () => {
    const { id } = await client.responses.create({ model: "m", input: "hi" });
    expect(await refusal(client.responses.cancel(id))).toEqual({
      status: 400,
      error: expect.objectContaining({
        message: "Cannot cancel a synchronous response.",
        type: "invalid_request_error",
      }),
    });
    // Still there, and whole.
    expect((await client.responses.retrieve(id)).status).toBe("completed");
    expect(await refusal(client.responses.cancel("resp_unknown"))).toEqual({
      status: 404,
      error: expect.objectContaining({ message: "Response with id 'resp_unknown' not found." }),
    });
  });
});

describe("an unknown response id", () => {
  test("is OpenAI's 404 to a read, a listing and a delete alike: its words, invalid_request_error, no param, no code", async () => {
    const notFound = {
      status: 404,
      error: {
        message: "Response with id 'resp_unknown' not found.",
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    };
    expect(await refusal(client.responses.retrieve("resp_unknown"))).toEqual(notFound);
    expect(await refusal(client.responses.inputItems.list("resp_unknown"))).toEqual(notFound);
    expect(await refusal(client.responses.delete("resp_unknown"))).toEqual(notFound);
    // A response deleted is unknown from then on.
    const { id } = await client.responses.create({ model: "m", input: "hi" });
    await client.responses.delete(id);
    const gone = await refusal(client.responses.retrieve(id));
    expect(gone).toEqual({
      ...notFound,
      error: { ...notFound.error, message: `Response with id '${id}' not found.` },
    });
  });
});

describe("previous_response_id naming a response deleted", () => {
  test("is OpenAI's 400 previous_response_not_found naming previous_response_id, on POST and compact alike", async () => {
    const { id } = await client.responses.create({ model: "m", input: "hi" });
    await client.responses.delete(id);
    const refused = {
      status: 400,
      error: {
        message: `Previous response with id '${id}' not found.`,
        type: "invalid_request_error",
        param: "previous_response_id",
        code: "previous_response_not_found",
      },
    };
    const chained = { model: "m", input: "go on", previous_response_id: id };
    expect(await refusal(client.responses.create(chained))).toEqual(refused);
    expect(await refusal(client.responses.compact(chained))).toEqual(refused);
  });
});

describe("a previous_response_id that is not a string", () => {
  test("is OpenAI's 400 for a field of the wrong type, naming previous_response_id, code invalid_type", async () => {
    for (const [previous, got] of [
      [5, "an integer"],
      [["resp_1"], "an array"],
    ] as const) {
      expect(await refusalOf({ model: "m", input: "hi", previous_response_id: previous })).toEqual({
        status: 400,
        error: {
          message: `Invalid type for 'previous_response_id': expected a string, but got ${got} instead.`,
          type: "invalid_request_error",
          param: "previous_response_id",
          code: "invalid_type",
        },
      });
    }
  });
});

describe("GET /v1/responses/{id} with include", () => {
  test("OpenAI's includables are taken (the stored response is whole already); anything else is a 400 naming include, as input_items says it", async () => {
    const { id } = await client.responses.create({ model: "m", input: "hi" });
    const read = await client.responses.retrieve(id, {
      include: ["message.output_text.logprobs", "reasoning.encrypted_content"],
    });
    expect(read.id).toBe(id);
    const bogus = ["message.output_text.bogus"] as unknown as OpenAI.Responses.ResponseIncludable[];
    const refused = await refusal(client.responses.retrieve(id, { include: bogus }));
    expect(refused).toEqual({
      status: 400,
      error: expect.objectContaining({
        param: "include",
        message: expect.stringContaining(
          "Invalid value: 'message.output_text.bogus'. Supported values are: ",
        ),
      }),
    });
    expect(await refusal(client.responses.inputItems.list(id, { include: bogus }))).toEqual(refused);
  });
});

describe("POST /v1/responses/input_tokens", () => {
  test("OpenAI's token count is not served: a 404 saying so, not a 405 reading input_tokens as a response's id", async () => {
    const refused = await refusal(client.responses.inputTokens.count({ model: "m", input: "hi" }));
    expect(refused).toEqual({
      status: 404,
      error: expect.objectContaining({
        message: expect.stringContaining("POST /v1/responses/input_tokens"),
        type: "invalid_request_error",
      }),
    });
    expect(JSON.stringify(refused.error)).toContain("not served");
  });
});

describe("POST /v1/responses refuses as OpenAI does", () => {
  test("an item_reference to no item the caller holds: 404 in OpenAI's words, param input, no code", async () => {
    const refused = await refusal(
      client.responses.create({
        model: "m",
        input: [
          { type: "item_reference", id: "msg_never_stored" },
          { role: "user", content: "and then?" },
        ],
      }),
    );
    expect(refused).toEqual({
      status: 404,
      error: {
        message: "Item with id 'msg_never_stored' not found.",
        type: "invalid_request_error",
        param: "input",
        code: null,
      },
    });
  });

  test("a store that is not a boolean: 400 naming store, code invalid_type; nothing stored", async () => {
    for (const [store, got] of [
      ["x", "a string"],
      [1, "an integer"],
      [{}, "an object"],
    ] as const) {
      // Past what the SDK's types let through: the body as a client of its own may send it.
      const response = await gateway.handle(
        new Request("http://gw/v1/responses", {
          method: "POST",
          headers: { authorization: "Bearer t", "content-type": "application/json" },
          body: JSON.stringify({ model: "m", input: "hi", store }),
        }),
      );
      const refused = {
        status: response.status,
        error: ((await response.json()) as { error?: unknown }).error,
      };
      expect(refused).toEqual({
        status: 400,
        error: {
          message: `Invalid type for 'store': expected a boolean, but got ${got} instead.`,
          type: "invalid_request_error",
          param: "store",
          code: "invalid_type",
        },
      });
    }
    // null is OpenAI's default (stored), as it is unset.
    const { id } = await client.responses.create({ model: "m", input: "hi", store: null });
    expect((await client.responses.retrieve(id)).status).toBe("completed");
  });
});

describe("POST /v1/responses refuses metadata past OpenAI's limits", () => {
  test("17 pairs, a 65-character key, a 513-character value or a value not a string: OpenAI's 400, its words and codes", async () => {
    const key65 = "界".repeat(65);
    for (const [metadata, param, code, message] of [
      [
        Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"])),
        "metadata",
        "object_above_max_properties",
        "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with 17 properties instead.",
      ],
      [
        { [key65]: "v" },
        `metadata.${key65}`,
        "property_name_above_max_length",
        `Invalid property name in 'metadata': '${key65}' is too long. Expected a string with maximum length 64, but got a string with length 65 instead.`,
      ],
      [
        { k: "v".repeat(513) },
        "metadata.k",
        "string_above_max_length",
        "Invalid 'metadata.k': string too long. Expected a string with maximum length 512, but got a string with length 513 instead.",
      ],
      [
        { k: 1 },
        "metadata.k",
        "invalid_type",
        "Invalid type for 'metadata.k': expected a string, but got an integer instead.",
      ],
      [
        { k: null },
        "metadata.k",
        "invalid_type",
        "Invalid type for 'metadata.k': expected a string, but got null instead.",
      ],
    ] as const) {
      expect(await refusalOf({ model: "m", input: "hi", metadata })).toEqual({
        status: 400,
        error: { message, type: "invalid_request_error", param, code },
      });
    }
    // At the limits, taken and echoed.
    const full = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`${i}`.padEnd(64, "k"), "v".repeat(512)]),
    );
    const { id, metadata } = await client.responses.create({ model: "m", input: "hi", metadata: full });
    expect(metadata).toEqual(full);
    expect((await client.responses.retrieve(id)).metadata).toEqual(full);
  });
});

describe("the response echoes the request's safety_identifier", () => {
  test("as OpenAI's does: the caller's, stored and read back with it; null when unset", async () => {
    const asked = await client.responses.create({ model: "m", input: "hi", safety_identifier: "user-7" });
    expect(asked.safety_identifier).toBe("user-7");
    expect((await client.responses.retrieve(asked.id)).safety_identifier).toBe("user-7");
    const unset = await client.responses.create({ model: "m", input: "hi" });
    expect(unset.safety_identifier).toBeNull();
  });
});

describe("max_output_tokens on a translated route", () => {
  test("below OpenAI's floor of 16, or not an integer: its 400, its words and codes; 16 is taken", async () => {
    for (const [max, code, message] of [
      [
        5,
        "integer_below_min_value",
        "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 5 instead.",
      ],
      [
        0,
        "integer_below_min_value",
        "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got 0 instead.",
      ],
      [
        "x",
        "invalid_type",
        "Invalid type for 'max_output_tokens': expected an integer, but got a string instead.",
      ],
    ] as const) {
      expect(await refusalOf({ model: "m", input: "hi", max_output_tokens: max })).toEqual({
        status: 400,
        error: { message, type: "invalid_request_error", param: "max_output_tokens", code },
      });
    }
    const taken = await client.responses.create({ model: "m", input: "hi", max_output_tokens: 16 });
    expect(taken.max_output_tokens).toBe(16);
  });
});

describe("a function tool without a name on a translated route", () => {
  test("is OpenAI's 400 naming tools[i].name, not dropped as a hosted tool (a chat-shaped tool, the usual slip)", async () => {
    for (const [tools, param] of [
      [
        [{ type: "function", function: { name: "f", parameters: { type: "object", properties: {} } } }],
        "tools[0].name",
      ],
      [[{ type: "web_search" }, { type: "custom" }], "tools[1].name"],
      [[{ type: "namespace", name: "ns", tools: [{ type: "function" }] }], "tools[0].tools[0].name"],
    ] as const) {
      expect(await refusalOf({ model: "m", input: "hi", tools })).toEqual({
        status: 400,
        error: {
          message: `Missing required parameter: '${param}'.`,
          type: "invalid_request_error",
          param,
          code: "missing_required_parameter",
        },
      });
    }
  });
});

describe("POST /v1/responses with include", () => {
  test("a value OpenAI does not know is its 400 naming include[i], code invalid_value, in its words; those it knows are taken", async () => {
    expect(
      await refusalOf({
        model: "m",
        input: "hi",
        include: ["reasoning.encrypted_content", "bogus.thing"],
      }),
    ).toEqual({
      status: 400,
      error: {
        message:
          "Invalid value: 'bogus.thing'. Supported values are: 'file_search_call.results', 'web_search_call.results', 'web_search_call.action.sources', 'message.input_image.image_url', 'computer_call_output.output.image_url', 'code_interpreter_call.outputs', 'reasoning.encrypted_content', and 'message.output_text.logprobs'.",
        type: "invalid_request_error",
        param: "include[1]",
        code: "invalid_value",
      },
    });
    const taken = await client.responses.create({
      model: "m",
      input: "hi",
      include: ["reasoning.encrypted_content", "message.output_text.logprobs"],
    });
    expect(taken.status).toBe("completed");
  });

  test("on a route serving OpenAI's Responses API, a value the gateway does not know goes to the upstream as sent, its own to judge", async () => {
    const include = ["reasoning.encrypted_content", "future.thing"];
    const answered = await gateway.handle(
      new Request("http://gw/v1/responses", {
        method: "POST",
        headers: { authorization: "Bearer t", "content-type": "application/json" },
        body: JSON.stringify({ model: "n", input: "hi", include }),
      }),
    );
    expect(answered.status).toBe(200);
    expect(nativeBodies.at(-1)?.include).toEqual(include);
  });
});

describe("a tool_choice naming no tool on a translated route", () => {
  test("a function or custom choice without a name is OpenAI's 400 naming tool_choice.name, not dropped", async () => {
    for (const choice of [
      { type: "function" },
      { type: "function", function: { name: "f" } },
      { type: "custom" },
    ]) {
      expect(
        await refusalOf({
          model: "m",
          input: "hi",
          tools: [{ type: "function", name: "f", parameters: { type: "object", properties: {} } }],
          tool_choice: choice,
        }),
      ).toEqual({
        status: 400,
        error: {
          message: "Missing required parameter: 'tool_choice.name'.",
          type: "invalid_request_error",
          param: "tool_choice.name",
          code: "missing_required_parameter",
        },
      });
    }
  });
});

describe("refusals already in OpenAI's words carry its codes too", () => {
  test("a missing input or item field is missing_required_parameter; an unknown truncation invalid_value", async () => {
    for (const [body, param, code, message] of [
      [{}, "input", "missing_required_parameter", "Missing required parameter: 'input'."],
      [
        { input: [{ role: "user" }] },
        "input[0].content",
        "missing_required_parameter",
        "Missing required parameter: 'input[0].content'.",
      ],
      [
        { input: "hi", truncation: "bogus" },
        "truncation",
        "invalid_value",
        "Invalid value: 'bogus'. Supported values are: 'auto' and 'disabled'.",
      ],
    ] as const) {
      expect(await refusalOf({ model: "m", ...body })).toEqual({
        status: 400,
        error: { message, type: "invalid_request_error", param, code },
      });
    }
  });
});

describe("text.format on a translated route", () => {
  test("an unknown type is OpenAI's 400 invalid_value naming text.format.type; json_schema without a name its missing_required_parameter", async () => {
    for (const [format, param, code, message] of [
      [
        { type: "bogus" },
        "text.format.type",
        "invalid_value",
        "Invalid value: 'bogus'. Supported values are: 'json_object', 'text', and 'json_schema'.",
      ],
      [
        { type: "json_schema", schema: { type: "object" } },
        "text.format.name",
        "missing_required_parameter",
        "Missing required parameter: 'text.format.name'.",
      ],
    ] as const) {
      expect(await refusalOf({ model: "m", input: "hi", text: { format } })).toEqual({
        status: 400,
        error: { message, type: "invalid_request_error", param, code },
      });
    }
  });
});
