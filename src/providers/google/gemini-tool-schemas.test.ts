import { expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { type Answer, geminiGateway, google } from "./testing/gemini-gateway.ts";

// Tool schemas as clients write them (pydantic's and zod's `$ref` into `$defs`, Claude Code's
// `$schema` at the top) reach Gemini as `parametersJsonSchema` it takes: Gemini resolves `$ref`
// only in part (400 INVALID_ARGUMENT "reference to undefined schema at …", as google-gemini/
// gemini-cli#13326 records; "$ref … was set alongside unsupported fields"), so each local reference
// is written out in place.

/** Google's answer, or its refusal of a tool schema with a reference in it. */
const refusingRefs: Answer = (sent, stream) =>
  JSON.stringify(sent.tools ?? []).includes('"$ref"')
    ? Response.json(
        {
          error: {
            code: 400,
            message: "reference to undefined schema at properties.target.anyOf.1",
            status: "INVALID_ARGUMENT",
          },
        },
        { status: 400 },
      )
    : google(
        {
          candidates: [{ content: { role: "model", parts: [{ text: "ok" }] }, finishReason: "STOP" }],
          usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 },
        },
        stream,
      );

/** What pydantic writes for a model with a nested model, optional (`anyOf` with null). */
const PYDANTIC = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $defs: {
    Target: {
      type: "object",
      properties: { name: { type: "string" }, kind: { $ref: "#/$defs/Kind" } },
      required: ["name"],
      additionalProperties: false,
    },
    Kind: { type: "string", enum: ["table", "view"] },
  },
  type: "object",
  properties: {
    target: { anyOf: [{ type: "null" }, { $ref: "#/$defs/Target" }], description: "What to make" },
    primary: { $ref: "#/$defs/Target", description: "The first" },
  },
  required: ["target"],
  additionalProperties: false,
};

const TARGET = {
  type: "object",
  properties: { name: { type: "string" }, kind: { type: "string", enum: ["table", "view"] } },
  required: ["name"],
  additionalProperties: false,
};

test("local $refs written out, $defs and $schema left out; the call answered", async () => {
  const { gateway, sent } = await geminiGateway(refusingRefs);
  try {
    const response = await gateway.handle(
      new Request("http://gw/v1/chat/completions", {
        method: "POST",
        headers: { authorization: "Bearer t", "content-type": "application/json" },
        body: JSON.stringify({
          model: "m",
          messages: [{ role: "user", content: "hi" }],
          tools: [{ type: "function", function: { name: "create", parameters: PYDANTIC } }],
        }),
      }),
    );
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const [declaration] =
      (sent[0]?.tools as { functionDeclarations: JsonObject[] }[] | undefined)?.[0]?.functionDeclarations ??
      [];
    expect(declaration?.parametersJsonSchema).toEqual({
      type: "object",
      properties: {
        target: { anyOf: [{ type: "null" }, TARGET], description: "What to make" },
        primary: { ...TARGET, description: "The first" },
      },
      required: ["target"],
      additionalProperties: false,
    });
  } finally {
    await gateway.stop();
  }
});

test("a $ref with a malformed escape: the schema sent as given, the call reaching Google", async () => {
  const { gateway, sent } = await geminiGateway((_sent, stream) =>
    google(
      { candidates: [{ content: { role: "model", parts: [{ text: "ok" }] }, finishReason: "STOP" }] },
      stream,
    ),
  );
  const parameters = { $defs: { x: { type: "string" } }, properties: { a: { $ref: "#/$defs/%E0" } } };
  try {
    const response = await gateway.handle(
      new Request("http://gw/v1/chat/completions", {
        method: "POST",
        headers: { authorization: "Bearer t", "content-type": "application/json" },
        body: JSON.stringify({
          model: "m",
          messages: [{ role: "user", content: "hi" }],
          tools: [{ type: "function", function: { name: "create", parameters } }],
        }),
      }),
    );
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(sent).toHaveLength(1);
    const [declaration] =
      (sent[0]?.tools as { functionDeclarations: JsonObject[] }[] | undefined)?.[0]?.functionDeclarations ??
      [];
    expect(declaration?.parametersJsonSchema).toEqual(parameters);
  } finally {
    await gateway.stop();
  }
});
