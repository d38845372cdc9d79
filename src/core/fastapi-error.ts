import { z } from "zod";
import { relayedWords } from "./cut-words.ts";

/**
 * FastAPI's error body, which OpenAI-compatible servers built on it send (LlamaFactory's API, many
 * small ones): `{"detail":"text"}`, or for a request its schema refuses (a 422) one entry per field,
 * `{"detail":[{"loc":["body","messages",0,"role"],"msg":"Input should be …","type":…}]}`.
 */
const fastApiErrorBody = z.looseObject({
  detail: z.union([
    z.string(),
    z
      .array(z.looseObject({ loc: z.array(z.union([z.string(), z.number()])).optional(), msg: z.string() }))
      .min(1),
  ]),
});

/** Entries said in one message: a client reads the first few; the rest is the same mistake again. */
const MAX_ENTRIES = 5;

/**
 * A FastAPI error as OpenAI's fields: each entry `path: msg` (its `loc` without FastAPI's `body`,
 * dotted as OpenAI names a field, `messages.0.role`), joined by "; ", and the first entry's path as
 * the `param`. Undefined for any other body.
 */
export function readFastApiError(body: unknown): { message: string; param?: string } | undefined {
  const parsed = fastApiErrorBody.safeParse(body);
  if (!parsed.success) return undefined;
  const { detail } = parsed.data;
  if (typeof detail === "string") return { message: detail };
  const said = detail.slice(0, MAX_ENTRIES).map(({ loc = [], msg }) => {
    const path = fieldPath(loc);
    return { path, text: path ? `${path}: ${msg}` : msg };
  });
  const more = detail.length - said.length;
  const joined = said.map((entry) => entry.text).join("; ") + (more > 0 ? `; and ${more} more` : "");
  // Cut past `MAX_RELAYED`: each entry repeats its field's path.
  const message = relayedWords(joined);
  const param = said[0]?.path;
  return { message, ...(param ? { param } : {}) };
}

/** A `loc` as the request field it names: FastAPI's leading `body` is where, not which field. */
const fieldPath = (loc: readonly (string | number)[]): string =>
  (loc[0] === "body" ? loc.slice(1) : loc).join(".");
