import { beforeAll, describe, expect, test } from "bun:test";
import { float32Base64 } from "../translate/float32-base64.ts";
import { agreementOf } from "./agreement.ts";
import { answerFromJson } from "./answer.ts";
import { loadSchemaCheck } from "./schema-check.ts";

// The agreement of a pair of embeddings answers: compared as vectors, however each side encoded them.

// Ajv is loaded before a schema is judged (agreement.ts, `agreementReady`), as the runner does.
beforeAll(loadSchemaCheck);

describe("embeddings are compared as vectors", () => {
  /** An OpenAI embeddings answer, each vector as floats or as the SDKs' default base64. */
  const embeddings = (vectors: number[][], base64 = false) => ({
    object: "list",
    data: vectors.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector,
    })),
    model: "m",
    usage: { prompt_tokens: 2, total_tokens: 2 },
  });
  const read = (vectors: number[][], base64 = false) =>
    answerFromJson("embeddings", embeddings(vectors, base64));

  test("vectors of different lengths, or a different count of them, are not the same answer", () => {
    // The audit's pair: 4 dimensions against 8, which read as the same empty text before.
    const four = read([[0.5, 0.5, 0.5, 0.5]]);
    const eight = read([[0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0]]);
    expect(agreementOf({}, four, eight)).toEqual({
      exact: false,
      similarity: 0,
      primaryJsonValid: null,
      shadowJsonValid: null,
      toolsAgree: null,
      finishAgrees: null,
    });
    expect(
      agreementOf(
        {},
        four,
        read([
          [0.5, 0.5, 0.5, 0.5],
          [1, 0, 0, 0],
        ]),
      ),
    ).toMatchObject({
      exact: false,
      similarity: 0,
    });
    // As a pair shows the answers: what the vectors are, not their numbers.
    expect([four.text, eight.text]).toEqual(["1 vector of 4 dimensions", "1 vector of 8 dimensions"]);
  });

  test("the same vectors are exact; others agree by their mean cosine similarity", () => {
    const x = [1, 0];
    const y = [0, 1];
    expect(agreementOf({}, read([x, y]), read([x, y]))).toMatchObject({ exact: true, similarity: 1 });
    // One pair the same (1), one at right angles (0): 0.5; one pointing apart counts as 0.
    const half = agreementOf({}, read([x, y]), read([x, x]));
    expect(half).toMatchObject({ exact: false, similarity: 0.5 });
    expect(agreementOf({}, read([[1, 0]]), read([[-1, 0]])).similarity).toBe(0);
    const close = agreementOf({}, read([[0.6, 0.8]]), read([[0.8, 0.6]]));
    expect(close.similarity).toBeCloseTo(0.96, 12);
    expect(close.exact).toBe(false);
  });

  test("floats from a server that ignored base64 are the same vectors as the client's base64 of them: compared as float32", () => {
    // Ollama's OpenAI API and older llama.cpp answer number arrays to `encoding_format: "base64"`;
    // the client is sent them as base64 float32 (translate/base64-embeddings.ts), the copy's are read as sent.
    const numbers = [0.1, -0.2, 0.3, 1 / 3];
    const client = answerFromJson("embeddings", { data: [{ index: 0, embedding: float32Base64(numbers) }] });
    const copy = answerFromJson("embeddings", { data: [{ index: 0, embedding: numbers }] });
    expect(agreementOf({}, client, copy)).toMatchObject({ exact: true, similarity: 1 });
    expect(agreementOf({}, copy, client)).toMatchObject({ exact: true, similarity: 1 });
    // Beyond float32's precision they are no different; past it they are.
    const other = answerFromJson("embeddings", { data: [{ index: 0, embedding: [0.1, -0.2, 0.3, 0.3334] }] });
    expect(agreementOf({}, client, other).exact).toBe(false);
  });

  test("an answer whose vectors cannot all be read has nothing to compare: never an exact match", () => {
    const withEntries = (...embeddings: unknown[]) =>
      answerFromJson("embeddings", {
        object: "list",
        data: embeddings.map((embedding, index) => ({ object: "embedding", index, embedding })),
      });
    const nothing = { exact: null, similarity: null };
    // Two unreadable answers (a null in a list, an object, null) were exact, similarity 1.
    expect(agreementOf({}, withEntries([0.1, null]), withEntries({ values: [9] }))).toMatchObject(nothing);
    expect(agreementOf({}, withEntries(null), withEntries(null))).toMatchObject(nothing);
    expect(agreementOf({}, withEntries([]), withEntries("AA"))).toMatchObject(nothing);
    // Two answers without `data` (an error body in its place) were exact too.
    const none = answerFromJson("embeddings", { object: "list" });
    expect(agreementOf({}, none, answerFromJson("embeddings", { error: "x" }))).toMatchObject(nothing);
    // One readable beside one that is not: they differ, by how much is not known.
    const readable = read([[1, 0]]);
    expect(agreementOf({}, readable, withEntries(null))).toMatchObject({ exact: false, similarity: null });
    // A hole among vectors leaves nothing to pair by position.
    expect(
      agreementOf(
        {},
        read([
          [1, 0],
          [0, 1],
        ]),
        withEntries([1, 0], null),
      ),
    ).toMatchObject({
      exact: false,
      similarity: null,
    });
    expect(none.text).toBe("no vectors");
  });

  test("base64 answers are decoded (float32, little-endian), in index order", () => {
    const floats = [
      [0.25, -0.5, 0.125],
      [1, 0, -1],
    ];
    const decoded = read(floats, true);
    expect(decoded.vectors?.map((vector) => Array.from(vector))).toEqual(floats);
    expect(agreementOf({}, read(floats), decoded)).toMatchObject({ exact: true, similarity: 1 });
    const shuffled = embeddings(floats);
    shuffled.data.reverse();
    expect(answerFromJson("embeddings", shuffled).vectors).toEqual(floats);
  });
});
