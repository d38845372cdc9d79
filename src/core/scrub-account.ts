import { isJsonObject, type JsonObject } from "./dialect.ts";

/**
 * What an upstream's error says of the gateway's own account with it — its organization, its
 * Google project, the upstream's id for the call — is the operator's business: every key of the
 * gateway shares that account, and a caller (or a tenant admin reading the audit row) has no use
 * for it. The messages relayed to callers say these words in its place; the gateway's log keeps
 * the upstream's own (the access line's `detail`).
 */
const ACCOUNT = "(the gateway's upstream account)";
const REQUEST_ID = "(the upstream's request id)";

/** Each identifier by the shape its vendor writes it in, and what takes its place. */
const IDENTIFIERS: readonly (readonly [RegExp, string])[] = [
  // OpenAI: "Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min".
  [/\borg-[A-Za-z0-9]{20,}/g, ACCOUNT],
  // Anthropic: "would exceed the rate limit for your organization (a22cf6e6-a940-4fff-8c4c-1580816ac7be)".
  [
    /(\borganization(?:[ _]?id)?[\s:=]*)['"(]?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}['")]?/gi,
    `$1${ACCOUNT}`,
  ],
  // Google: "for consumer 'project_number:681255809395'", "projects/my-project/locations/…", and
  // "has not been used in project 681255809395".
  [/\bproject_number:\d+/g, ACCOUNT],
  [/\bprojects\/[A-Za-z0-9._:-]+/g, ACCOUNT],
  [/\b(project )\d{6,}\b/g, `$1${ACCOUNT}`],
  // Anthropic's request ids ("req_011CbrFTcXhtiMzr3s6EocF7"), OpenAI's ("req_" and 32 hex digits).
  [/\breq_[A-Za-z0-9]{8,}/g, REQUEST_ID],
];

/**
 * Whether a text may hold any of them: one scan, which nearly every error passes without a copy.
 * (`request_id`: the field Anthropic's error bodies carry.)
 */
const MENTIONS = /org-[A-Za-z0-9]{20}|organization|project|req_[A-Za-z0-9]{8}|request_id/i;

/** `text` without the upstream account's identifiers; the very string when it names none. */
export function scrubAccount(text: string): string {
  if (!MENTIONS.test(text)) return text;
  let scrubbed = text;
  for (const [pattern, replacement] of IDENTIFIERS) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
}

/** An error's wire fields with their message scrubbed: the very object when it names no account. */
export function scrubMessage<T extends { readonly message: string }>(fields: T): T {
  const message = scrubAccount(fields.message);
  return message === fields.message ? fields : { ...fields, message };
}

/**
 * An upstream's error body as a caller may get it: every string scrubbed (`scrubAccount`), its
 * `request_id` left out (Anthropic's, for the call the gateway made: the caller's own id is the
 * gateway's `request-id` header). The very object when there is nothing to take out, so a body is
 * copied only when it names the account; `text`, the body as sent, lets that be known in one scan.
 */
export function scrubAccountInBody(body: JsonObject, text?: string): JsonObject {
  if (text !== undefined && !MENTIONS.test(text)) return body;
  return scrubbedObject(body, 0);
}

/** Error bodies are a few levels deep; what lies past this is left as it is. */
const MAX_DEPTH = 16;

function scrubbedObject(object: JsonObject, depth: number): JsonObject {
  let copy: JsonObject | undefined;
  for (const [key, value] of Object.entries(object)) {
    if (key === "request_id") {
      copy ??= { ...object };
      delete copy[key];
      continue;
    }
    const scrubbed = scrubbedValue(value, depth + 1);
    if (scrubbed !== value) {
      copy ??= { ...object };
      copy[key] = scrubbed;
    }
  }
  return copy ?? object;
}

function scrubbedValue(value: unknown, depth: number): unknown {
  if (typeof value === "string") return scrubAccount(value);
  if (depth > MAX_DEPTH) return value;
  if (isJsonObject(value)) return scrubbedObject(value, depth);
  if (!Array.isArray(value)) return value;
  let copy: unknown[] | undefined;
  value.forEach((item, index) => {
    const scrubbed = scrubbedValue(item, depth + 1);
    if (scrubbed === item) return;
    copy ??= [...value];
    copy[index] = scrubbed;
  });
  return copy ?? value;
}
