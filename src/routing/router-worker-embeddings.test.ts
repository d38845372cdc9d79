import { expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import type { WholeAnswer } from "../providers/http/whole-answer.ts";
import { createWorkersProvider } from "../workers/gateway/worker-provider.ts";
import { createWorkerRegistry } from "../workers/gateway/worker-registry.ts";
import { fakeWorker } from "../workers/testing/fake-worker.ts";
import type { ClientReply } from "./native-reply.ts";
import { chatRequest, routerFor } from "./router-test-kit.ts";

// A `mindgw worker` in front of a server that answers floats whatever `encoding_format` said (an
// Ollama): a caller that asked base64, as the OpenAI SDKs do by default, gets base64.

const VECTOR = [0.1, -0.25, 2.71];
const FLOATS = {
  object: "list",
  data: [{ object: "embedding", index: 0, embedding: VECTOR }],
  model: "nomic",
  usage: { prompt_tokens: 1, total_tokens: 1 },
};

/** As the OpenAI SDKs decode a `base64` embedding. */
function sdkDecode(embedding: unknown): number[] {
  const bytes = Buffer.from(String(embedding), "base64");
  return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
}

const bodyOf = (reply: ClientReply): JsonObject => {
  if (reply.kind === "json") return reply.body;
  if (reply.kind === "bytes") return JSON.parse(new TextDecoder().decode(reply.body)) as JsonObject;
  throw new Error("a stream for an embeddings call");
};

const embeddingOf = (body: JsonObject): unknown =>
  Array.isArray(body.data) ? (body.data[0] as JsonObject | undefined)?.embedding : undefined;

test("a worker's upstream that answers floats to encoding_format: base64 is answered in base64, relayed bytes and parsed alike", async () => {
  const registry = createWorkerRegistry();
  const worker = fakeWorker("w1", { models: ["emb"] });
  worker.openWhole = (): Promise<WholeAnswer> =>
    Promise.resolve({
      status: 200,
      contentType: "application/json",
      retryAfter: undefined,
      body: new TextEncoder().encode(JSON.stringify(FLOATS)),
    });
  registry.add(worker);
  const { router } = routerFor({ routing: { backoff: 0 } }, [], {
    workers: {
      provider: createWorkersProvider(registry),
      servesModel: (model: string, tenant?: string) => registry.serves(model, tenant),
      models: (tenant: string) => registry.models(tenant),
    },
  });
  const body = { model: "emb", input: "a", encoding_format: "base64" };
  const asked = { operation: "embeddings" as const, body };
  // Passed through (the request's bytes in hand, as the front door hands them), and read whole where they are
  // not.
  const relayed = await router(chatRequest("emb", asked));
  const parsed = await router(chatRequest("emb", { ...asked, received: undefined }));
  expect([relayed.reply.kind, parsed.reply.kind]).toEqual(["bytes", "json"]);
  for (const dispatched of [relayed, parsed]) {
    expect(dispatched.route).toBe("worker:w1");
    const answer = bodyOf(dispatched.reply);
    expect(typeof embeddingOf(answer)).toBe("string");
    expect(sdkDecode(embeddingOf(answer))).toEqual(VECTOR.map(Math.fround));
    expect({ ...answer, data: undefined }).toEqual({ ...FLOATS, data: undefined });
  }
  // Floats asked, floats answered: as the worker sent them.
  const floats = await router(
    chatRequest("emb", { operation: "embeddings", body: { model: "emb", input: "a" } }),
  );
  expect(embeddingOf(bodyOf(floats.reply))).toEqual(VECTOR);
  registry.close();
});
