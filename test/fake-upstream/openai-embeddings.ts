import { z } from "zod";
import type { Prepared } from "./fake-call.ts";
import { countWords } from "./fake-script.ts";

const embeddingSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number()), z.array(z.array(z.number()))]),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.number().int().min(1).max(4096).nullish(),
});

/** A deterministic unit vector from the text (FNV-1a seeded walk). */
export function fakeVector(text: string, dimensions: number): number[] {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  const v: number[] = [];
  for (let i = 0; i < dimensions; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    v.push((h / 0xffffffff) * 2 - 1);
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => Math.fround(x / norm));
}

/** Little-endian float32 bytes, base64: what `encoding_format: "base64"` returns. */
function toBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}

/** One text per embedding: a string, strings, or token arrays (one array = one input). */
function textsOf(input: z.infer<typeof embeddingSchema>["input"]): string[] {
  if (typeof input === "string") return [input];
  if (input.every((item) => typeof item === "number")) return [input.join(" ")];
  return input.map((item) => (Array.isArray(item) ? item.join(" ") : String(item)));
}

/** `POST /v1/embeddings`; the official SDK asks for base64 unless told otherwise. */
export function prepareEmbeddings(body: unknown): Prepared {
  const parsed = embeddingSchema.safeParse(body);
  if (!parsed.success) return { status: 400, message: "'input' or 'model' is invalid", param: "input" };
  const req = parsed.data;
  const texts = textsOf(req.input);
  return {
    markerText: texts.join(" "),
    stream: false,
    render: () => {
      const dims = req.dimensions ?? 8;
      const data = texts.map((text, index) => {
        const vector = fakeVector(text, dims);
        return {
          object: "embedding",
          index,
          embedding: req.encoding_format === "base64" ? toBase64(vector) : vector,
        };
      });
      const tokens = texts.reduce((sum, t) => sum + countWords(t), 0);
      return {
        json: {
          object: "list",
          data,
          model: req.model,
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        },
      };
    },
  };
}
