import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";
import { oneMockModel } from "../testing/one-mock-model.ts";

// A stored response's reads refuse a query parameter as OpenAI's API does, its codes included
// (clients branch on `code`): a `limit` out of 1–100 is `integer_below_min_value` or
// `integer_above_max_value`, an `order` or `include` it has not `invalid_value`, in its words.
// The gateway on a loopback port, the official SDK as the caller.

let gateway: Gateway;
let client: OpenAI;
let id: string;

beforeAll(async () => {
  gateway = await createGateway({
    config: oneMockModel(),
    auth: async () => jwtCaller,
    logger: silentLogger,
  });
  const { port } = gateway.listen("127.0.0.1", 0);
  client = new OpenAI({ apiKey: "t", baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  ({ id } = await client.responses.create({ model: "mock", input: "hi" }));
});

afterAll(async () => {
  await gateway.stop();
});

/** OpenAI's error object the SDK threw for `call`, with its status. */
async function refusal(call: Promise<unknown>) {
  const thrown = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(thrown instanceof OpenAI.APIError)) throw new Error(`expected an APIError, got ${String(thrown)}`);
  return { status: thrown.status, error: thrown.error };
}

const invalid = (param: string, code: string, message: string) => ({
  status: 400,
  error: { message, type: "invalid_request_error", param, code },
});

test("input_items: a limit out of 1–100 is OpenAI's integer_below_min_value or integer_above_max_value", async () => {
  expect(await refusal(client.responses.inputItems.list(id, { limit: 0 }))).toEqual(
    invalid(
      "limit",
      "integer_below_min_value",
      "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead.",
    ),
  );
  expect(await refusal(client.responses.inputItems.list(id, { limit: 101 }))).toEqual(
    invalid(
      "limit",
      "integer_above_max_value",
      "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got 101 instead.",
    ),
  );
});

test("input_items: an order OpenAI has not is its invalid_value", async () => {
  const order = "up" as unknown as "asc";
  expect(await refusal(client.responses.inputItems.list(id, { order }))).toEqual(
    invalid("order", "invalid_value", "Invalid value: 'up'. Supported values are: 'asc' and 'desc'."),
  );
});

test("retrieve and input_items: an include OpenAI does not list is its invalid_value, listed in its words", async () => {
  const include = ["bogus.thing"] as unknown as OpenAI.Responses.ResponseIncludable[];
  const refused = await refusal(client.responses.retrieve(id, { include }));
  expect(refused).toEqual(
    invalid(
      "include",
      "invalid_value",
      "Invalid value: 'bogus.thing'. Supported values are: 'file_search_call.results', 'web_search_call.results', 'web_search_call.action.sources', 'message.input_image.image_url', 'computer_call_output.output.image_url', 'code_interpreter_call.outputs', 'reasoning.encrypted_content', and 'message.output_text.logprobs'.",
    ),
  );
  expect(await refusal(client.responses.inputItems.list(id, { include }))).toEqual(refused);
});
