import { expect, test } from "bun:test";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { geminiBatchAnswer } from "../../../test/fake-cloud/embedding-wire.ts";
import { type TracedRoute, tracedModels } from "../../testing/traced-models.ts";
import { geminiGateway, google } from "./testing/gemini-gateway.ts";

// Gemini names the model that answered in `modelVersion` ("gemini-2.5-flash-001"). As for every
// upstream, the trace's `gen_ai.response.model` is that model (OpenAI's `model`, Anthropic's), whole
// or streamed; the caller's answer names the model it asked for, as every answer the gateway writes
// does (the provider's `askedModel`).

const ANSWER = {
  candidates: [{ content: { role: "model", parts: [{ text: "Paris" }] }, finishReason: "STOP" }],
  usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 },
  modelVersion: "gemini-2.5-flash-001",
  responseId: "r1",
};

async function answered(stream: boolean, body: object) {
  const exporter = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const { gateway } = await geminiGateway((_, streamed) => google(body, streamed), {
    tracer: tracer.getTracer("test"),
  });
  try {
    const response = await gateway.handle(
      new Request("http://gw/v1/chat/completions", {
        method: "POST",
        headers: { authorization: "Bearer t", "content-type": "application/json" },
        body: JSON.stringify({ model: "m", stream, messages: [{ role: "user", content: "hi" }] }),
      }),
    );
    expect(response.status).toBe(200);
    const text = await response.text();
    const model = stream
      ? (JSON.parse(text.split("\n")[0]?.slice(6) ?? "{}") as { model: string }).model
      : (JSON.parse(text) as { model: string }).model;
    await tracer.forceFlush();
    const spans = exporter.getFinishedSpans();
    const server = spans.find((span) => span.name === "chat m");
    const attempt = spans.find((span) => span.name === "chat gemini-2.5-flash");
    return [model, server?.attributes["gen_ai.response.model"], attempt?.attributes["gen_ai.response.model"]];
  } finally {
    await gateway.stop();
  }
}

test("modelVersion is the trace's response model, whole and streamed; the caller's answer names its own", async () => {
  const SAID = ["m", "gemini-2.5-flash-001", "gemini-2.5-flash-001"];
  expect(await answered(false, ANSWER)).toEqual(SAID);
  expect(await answered(true, ANSWER)).toEqual(SAID);
});

test("no modelVersion: the route's upstream model, as for an answer that names none", async () => {
  const { modelVersion: _, ...bare } = ANSWER;
  const SAID = ["m", "gemini-2.5-flash", "gemini-2.5-flash"];
  expect(await answered(false, bare)).toEqual(SAID);
  expect(await answered(true, bare)).toEqual(SAID);
});

test("embeddings, whose answer names no model: the route's model in the trace, the caller's in its answer", async () => {
  const gemini: TracedRoute = {
    provider: { name: "g", type: "gemini", api_key: "key", base_url: "http://gemini.test/v1beta" },
    model: "gemini-embedding-001",
    answer: (_, sent) => Response.json(geminiBatchAnswer("gemini-embedding-001", sent)),
  };
  expect(await tracedModels(gemini, "/v1/embeddings", { input: "hi" })).toEqual({
    said: "m",
    server: "gemini-embedding-001",
    attempt: "gemini-embedding-001",
  });
});
