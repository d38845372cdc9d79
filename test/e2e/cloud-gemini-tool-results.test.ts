import { beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { cloudGateway, WEATHER } from "./harness/cloud-gateway.ts";

// A tool's result as Gemini and Vertex AI read it (harness/cloud-gateway.ts): a result that is a
// JSON object goes as the functionResponse's `response` object, but Gemini reads a `$ref` in that
// object as a reference to one of the response's own parts (multimodal function responses) and
// refuses one that names none (fake-cloud/gemini-function-responses.ts). A tool whose result is a
// JSON Schema with references (a schema lookup, an MCP server's tool description, pydantic's or
// zod's output) then failed the whole conversation.

const clouds = cloudGateway();
let openai: OpenAI;
beforeAll(() => {
  ({ openai } = clouds);
});

/** A tool's result that is a JSON Schema, its references into `$defs` as pydantic writes them. */
const SCHEMA_RESULT = JSON.stringify({
  $defs: { Step: { type: "object", properties: { output: { type: "string" } } } },
  type: "object",
  properties: { steps: { type: "array", items: { $ref: "#/$defs/Step" } } },
});
const WEATHER_TOOL = {
  type: "function" as const,
  name: WEATHER.function.name,
  description: WEATHER.function.description,
  parameters: WEATHER.function.parameters,
  strict: false,
};

type FunctionResponse = { functionResponse: { name: string; response: Record<string, unknown> } };

/** The functionResponse parts the last call to the model was sent. */
function sentResults(): FunctionResponse["functionResponse"][] {
  const body = JSON.parse(clouds.lastModelCall()?.body ?? "{}") as {
    contents: { parts: Partial<FunctionResponse>[] }[];
  };
  return body.contents.flatMap((content) =>
    content.parts.flatMap((part) => (part.functionResponse ? [part.functionResponse] : [])),
  );
}

describe("a tool's result holding a $ref, to Gemini and Vertex AI", () => {
  for (const model of ["gemini-flash", "vertex-flash"]) {
    test(`${model}: a Responses caller's next turn (the Agents SDK's whole input) and a chat caller's are answered, the result sent as its text; a result without one still as its object`, async () => {
      // Turn one: the model calls the tool (the fake calls the first tool on "use a tool").
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: "user", content: "use a tool" }];
      const first = await openai.responses.create({ model, input, tools: [WEATHER_TOOL] });
      const call = first.output.find((item) => item.type === "function_call");
      if (call?.type !== "function_call") throw new Error("the model called no tool");
      const next = (output: string) =>
        openai.responses.create({
          model,
          tools: [WEATHER_TOOL],
          input: [...input, call, { type: "function_call_output", call_id: call.call_id, output }],
        });
      const answered = await next(SCHEMA_RESULT);
      expect(answered.status).toBe("completed");
      expect(answered.output_text).toStartWith("Hello from");
      expect(sentResults()).toMatchObject([{ name: "get_weather", response: { result: SCHEMA_RESULT } }]);
      // A result without a reference goes as the object it is, as before.
      await next('{"temp_c": 18}');
      expect(sentResults()).toMatchObject([{ name: "get_weather", response: { temp_c: 18 } }]);

      // A chat caller's tool message (LangChain's ChatOpenAI, the OpenAI SDK), streamed.
      const chatCall = await openai.chat.completions.create({
        model,
        messages: [{ role: "user", content: "use a tool" }],
        tools: [WEATHER],
      });
      const message = chatCall.choices[0]?.message;
      const id = message?.tool_calls?.[0]?.id;
      if (!message || !id) throw new Error("the model called no tool");
      const stream = await openai.chat.completions.create({
        model,
        stream: true,
        tools: [WEATHER],
        messages: [
          { role: "user", content: "use a tool" },
          message,
          { role: "tool", tool_call_id: id, content: SCHEMA_RESULT },
        ],
      });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).toStartWith("Hello from");
      expect(sentResults()).toMatchObject([{ name: "get_weather", response: { result: SCHEMA_RESULT } }]);
    });
  }
});
