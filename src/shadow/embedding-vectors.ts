import { isJsonObject, type JsonObject } from "../core/dialect.ts";

/**
 * An embeddings answer's vectors, in `index` order: JSON numbers as the parse made them (not
 * copied), a `base64` one (`encoding_format: "base64"`, the OpenAI SDKs' default) decoded from its
 * little-endian float32 bytes into a Float32Array: a batch of thousands of long vectors stays the
 * size of its numbers.
 */
export type Vectors = readonly ArrayLike<number>[];

/** The vectors of an OpenAI embeddings answer (`data[].embedding`); an entry of neither shape is empty. */
export function vectorsOf(body: JsonObject): Vectors {
  const data = Array.isArray(body.data) ? body.data.filter(isJsonObject) : [];
  const ordered = data.every((item) => typeof item.index === "number")
    ? data.toSorted((a, b) => (a.index as number) - (b.index as number))
    : data;
  return ordered.map((item) => vectorOf(item.embedding));
}

function vectorOf(embedding: unknown): ArrayLike<number> {
  if (Array.isArray(embedding)) return embedding.every((x) => typeof x === "number") ? embedding : [];
  if (typeof embedding !== "string") return [];
  const bytes = Buffer.from(embedding, "base64");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const vector = new Float32Array(Math.floor(bytes.length / 4));
  for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(i * 4, true);
  return vector;
}

/** What the vectors are, as a pair shows an answer: their numbers are compared, never kept. */
export function describeVectors(vectors: Vectors): string {
  if (vectors.length === 0) return "no vectors";
  const lengths = vectors.map((vector) => vector.length);
  const least = Math.min(...lengths);
  const most = Math.max(...lengths);
  const size = least === most ? `${least}` : `${least}–${most}`;
  return `${vectors.length} ${vectors.length === 1 ? "vector" : "vectors"} of ${size} dimensions`;
}

/**
 * How far two answers' vectors agree. The same count of vectors, each of the same length, or
 * nothing to compare: not exact, similarity 0 (one cannot stand in for the other). Otherwise
 * exact when every number is the same, and the similarity is the mean cosine similarity of the
 * vectors pair by pair (a negative one, vectors pointing apart, counts as 0). Null similarity for
 * two answers without vectors.
 */
export function vectorAgreement(a: Vectors, b: Vectors): { exact: boolean; similarity: number | null } {
  if (a.length !== b.length || a.some((vector, i) => vector.length !== b[i]?.length))
    return { exact: false, similarity: 0 };
  if (a.length === 0) return { exact: true, similarity: null };
  let exact = true;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as ArrayLike<number>;
    const y = b[i] as ArrayLike<number>;
    let dot = 0;
    let xx = 0;
    let yy = 0;
    for (let j = 0; j < x.length; j++) {
      const p = x[j] as number;
      const q = y[j] as number;
      if (p !== q) exact = false;
      dot += p * q;
      xx += p * p;
      yy += q * q;
    }
    // A zero vector points nowhere: like only to another.
    sum += xx === 0 || yy === 0 ? (xx === yy ? 1 : 0) : dot / Math.sqrt(xx * yy);
  }
  // Rounding can take the cosine of a vector with itself a hair past 1.
  return { exact, similarity: exact ? 1 : Math.min(1, Math.max(0, sum / a.length)) };
}
