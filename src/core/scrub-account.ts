import { mayHoldCredential, withoutCredentials } from "./credentials.ts";
import { isJsonObject, type JsonObject } from "./dialect.ts";
import type { GatewayError } from "./gateway-error.ts";

/**
 * What an upstream's error says of the gateway's own account with it — its organization, its
 * Google project, the upstream's id for the call — is the operator's business: every key of the
 * gateway shares that account, and a caller (or a tenant admin reading the audit row) has no use
 * for it. The messages relayed to callers say these words in its place; the gateway's log keeps
 * the upstream's own (the access line's `detail`). Only an upstream's words are read so, and only
 * where a vendor writes them: the gateway's own messages, and what a body echoes of the caller's
 * request (a tool call's arguments, a path), are never rewritten.
 */
const ACCOUNT = "(the gateway's upstream account)";
const REQUEST_ID = "(the upstream's request id)";

/** Each identifier by the words its vendor writes it in, and what takes its place. */
const IDENTIFIERS: readonly (readonly [RegExp, (found: string, head: string) => string])[] = [
  // OpenAI: "Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min".
  [/\borg-[A-Za-z0-9]{20,}/g, () => ACCOUNT],
  // Anthropic: "would exceed the rate limit for your organization (a22cf6e6-a940-4fff-8c4c-1580816ac7be)".
  [
    /(\borganization(?:[ _]?id)?[\s:=]*)['"(]?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}['")]?/gi,
    (_, head) => `${head}${ACCOUNT}`,
  ],
  // Google's quota: "… of service 'aiplatform.googleapis.com' for consumer 'project_number:681255809395'".
  [/(\bconsumer ')project_number:\d+/g, (_, head) => `${head}${ACCOUNT}`],
  // Vertex AI's resource names: "Publisher Model `projects/acme-prod/locations/us-central1/…`".
  [/\bprojects\/[A-Za-z0-9._:-]+(?=\/locations\/)/g, () => ACCOUNT],
  // Google's API not enabled: "… has not been used in project 681255809395 before or it is
  // disabled. Enable it by visiting https://console.developers.google.com/apis/api/…/overview?project=681255809395".
  [/(\bin project )\d{6,}\b/g, (_, head) => `${head}${ACCOUNT}`],
  // Anthropic's request ids ("req_011CbrFTcXhtiMzr3s6EocF7"), OpenAI's ("req_" and 32 hex digits).
  [/\breq_[A-Za-z0-9]{8,}/g, () => REQUEST_ID],
];

/**
 * Whether a text may hold any of them: one scan, which nearly every error passes without a copy.
 * (`request_id`: the field Anthropic's error bodies carry.)
 */
const MENTIONS = /org-[A-Za-z0-9]{20}|organization|project|req_[A-Za-z0-9]{8}|request_id/i;

/**
 * `text` without the upstream account's identifiers, nor any credential (credentials.ts: the
 * gateway's own, which an upstream may quote, and any of a known shape); the very string when it
 * names none.
 */
export function scrubAccount(text: string): string {
  const withoutKeys = withoutCredentials(text);
  if (!MENTIONS.test(withoutKeys)) return withoutKeys;
  let scrubbed = withoutKeys;
  for (const [pattern, replacement] of IDENTIFIERS) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed.replace(CONSOLE_LINK, (link) => link.replace(PROJECT_PARAM, `$1${ACCOUNT}`));
}

/**
 * Google's console links, which name the project in their query (`…/overview?project=681255809395`
 * in the API-not-enabled message above, `…/quotas?usage=USED&project=acme-prod`): each link taken
 * whole, to the next space, and its project replaced there. A pattern looking from each link for
 * its query ran to the end of the text from every link: 256 KB of links took a second.
 */
const CONSOLE_LINK = /console\.(?:developers|cloud)\.google\.com\/\S*/g;
const PROJECT_PARAM = /([?&]project=)[A-Za-z0-9._:-]+/g;

/**
 * An error's message as a caller is told it: an upstream's scrubbed (`error` carries `upstream`),
 * the gateway's own as it is. The very string when there is nothing to take out.
 */
export const scrubbedMessage = (error: Pick<GatewayError, "message" | "upstream">): string =>
  error.upstream === undefined ? error.message : scrubAccount(error.message);

/**
 * An error's wire fields with their message scrubbed, when the message is an upstream's (`error`
 * carries `upstream`): never the gateway's own words (`modelNotFound` quoting a caller's model
 * `projects/acme/models/gemma`). The very object when there is nothing to take out.
 */
export function scrubMessage<T extends { readonly message: string }>(
  fields: T,
  error: Pick<GatewayError, "upstream">,
): T {
  const message = scrubbedMessage({ message: fields.message, upstream: error.upstream });
  return message === fields.message ? fields : { ...fields, message };
}

/**
 * An upstream's error body (or error event) as a caller may get it: its messages scrubbed
 * (`scrubAccount`: the account's identifiers and any credential) — `error.message`, Google's `error.details[].message`, and a `message` at the
 * top (a Responses `error` event's, vLLM's older errors') — and its `request_id` at the top left
 * out (Anthropic's, for the call the gateway made: the caller's own id is the gateway's
 * `request-id` header). Every other field is kept as sent: what it echoes of the caller's request
 * is the caller's. The very object when there is nothing to take out, so a body is copied only
 * when it names the account; `text`, the body as sent, lets that be known in one scan.
 */
export function scrubAccountInBody(body: JsonObject, text?: string): JsonObject {
  if (text !== undefined && !MENTIONS.test(text) && !mayHoldCredential(text)) return body;
  const message = scrubbedString(body.message);
  const error = isJsonObject(body.error) ? scrubbedError(body.error) : body.error;
  if (!("request_id" in body) && message === body.message && error === body.error) return body;
  const { request_id: _theUpstreams, ...kept } = body;
  return { ...kept, ...changed("message", body.message, message), ...changed("error", body.error, error) };
}

/** An error object with its `message`, and its `details`' messages (Google's), scrubbed. */
function scrubbedError(error: JsonObject): JsonObject {
  const message = scrubbedString(error.message);
  const details = Array.isArray(error.details) ? scrubbedDetails(error.details) : error.details;
  if (message === error.message && details === error.details) return error;
  return {
    ...error,
    ...changed("message", error.message, message),
    ...changed("details", error.details, details),
  };
}

/** Google's `details`, each one's `message` scrubbed; the very array when none changed. */
function scrubbedDetails(details: unknown[]): unknown[] {
  let copy: unknown[] | undefined;
  details.forEach((detail, index) => {
    if (!isJsonObject(detail)) return;
    const message = scrubbedString(detail.message);
    if (message === detail.message) return;
    copy ??= [...details];
    copy[index] = { ...detail, message };
  });
  return copy ?? details;
}

const scrubbedString = (value: unknown): unknown => (typeof value === "string" ? scrubAccount(value) : value);

/** `{[key]: now}` when it differs from what was, else nothing: a field written only when scrubbed. */
const changed = (key: string, was: unknown, now: unknown): JsonObject => (now === was ? {} : { [key]: now });
