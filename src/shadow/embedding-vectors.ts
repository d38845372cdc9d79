import { isJsonObject, type JsonObject } from "../core/dialect.ts";

/**
 * An embeddings answer's vectors, in `index` order: JSON numbers as the parse made them (not
 * copied), a `base64` one (`encoding_format: "base64"`, the OpenAI SDKs' default) decoded from its
 * little-endian float32 bytes into a Float32Array: a batch of thousands of long vectors stays the
 * size of its numbers.
 */
export type Vectors = readonly ArrayLike<number>[];

/** What an answer without vectors it can read has: nothing to compare. */
const NO_VECTORS: Vectors = [];

/**
 * The vectors of an OpenAI embeddings answer (`data[].embedding`), or none (an empty list) when
 * it has none or any entry is not a vector (`vectorOf`): its vectors are compared by position, so
 * an answer with one it cannot read has nothing to compare, not the vectors around the hole.
 */
export function vectorsOf(body: JsonObject): Vectors {
  if (!Array.isArray(body.data)) return NO_VECTORS;
  const data = body.data.filter(isJsonObject);
  if (data.length !== body.data.length) return NO_VECTORS;
  const ordered = data.every((item) => typeof item.index === "number")
    ? data.toSorted((a, b) => (a.index as number) - (b.index as number))
    : data;
  const vectors: ArrayLike<number>[] = [];
  for (const item of ordered) {
    const vector = vectorOf(item.embedding);
    if (vector === undefined) return NO_VECTORS;
    vectors.push(vector);
  }
  return vectors;
}

/**
 * An entry's vector: a list of numbers, or base64 of float32s; undefined for anything else (null,
 * an object, a list with a null in it, base64 of no whole float) and for a vector of no numbers.
 */
function vectorOf(embedding: unknown): ArrayLike<number> | undefined {
  if (Array.isArray(embedding))
    return embedding.length > 0 && embedding.every((x) => typeof x === "number") ? embedding : undefined;
  if (typeof embedding !== "string") return undefined;
  const bytes = Buffer.from(embedding, "base64");
  if (bytes.length === 0 || bytes.length % 4 !== 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const vector = new Float32Array(bytes.length / 4);
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
 * How far two answers' vectors agree. Nothing to compare where either has no vectors it can read
 * (`vectorsOf`): no similarity, and not exact when the other has some (one cannot stand in for
 * the other), no verdict either when neither has. A different count of vectors, or a pair of
 * different lengths: not exact, similarity 0. Otherwise exact when every number is the same, and
 * the similarity is the mean cosine similarity of the vectors pair by pair (a negative one,
 * vectors pointing apart, counts as 0).
 */
export function vectorAgreement(
  a: Vectors,
  b: Vectors,
): { exact: boolean | null; similarity: number | null } {
  if (a.length === 0 || b.length === 0)
    return { exact: a.length === b.length ? null : false, similarity: null };
  if (a.length !== b.length || a.some((vector, i) => vector.length !== b[i]?.length))
    return { exact: false, similarity: 0 };
  let exact = true;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as ArrayLike<number>;
    const y = b[i] as ArrayLike<number>;
    // One side base64 (float32), the other numbers: a server that ignored `encoding_format:
    // "base64"`, whose numbers the client is sent as float32 (translate/base64-embeddings.ts).
    // Compared as float32, or the same vector would never be exact.
    const single = x instanceof Float32Array || y instanceof Float32Array ? Math.fround : undefined;
    let dot = 0;
    let xx = 0;
    let yy = 0;
    for (let j = 0; j < x.length; j++) {
      const p = single ? single(x[j] as number) : (x[j] as number);
      const q = single ? single(y[j] as number) : (y[j] as number);
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
