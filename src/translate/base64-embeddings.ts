import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { float32Base64 } from "./float32-base64.ts";

/**
 * An OpenAI embeddings answer for a caller that asked `encoding_format: "base64"`, from an upstream
 * that answered number arrays all the same (Ollama's OpenAI API, older llama.cpp servers, some TEI
 * versions): each such `embedding` in base64, everything else as it came, in its order. Undefined
 * when no entry is a number array (the common answer, already base64): it goes on as it is.
 */
export function withBase64Embeddings(answer: JsonObject): JsonObject | undefined {
  const data = answer.data;
  if (!Array.isArray(data) || !data.some(hasNumberVector)) return undefined;
  return {
    ...answer,
    data: data.map((entry) =>
      hasNumberVector(entry) ? { ...entry, embedding: float32Base64(entry.embedding) } : entry,
    ),
  };
}

const hasNumberVector = (entry: unknown): entry is JsonObject & { embedding: number[] } =>
  isJsonObject(entry) &&
  Array.isArray(entry.embedding) &&
  entry.embedding.every((value) => typeof value === "number");
