import { isJsonObject, type JsonObject } from "./dialect.ts";
import type { GatewayError } from "./gateway-error.ts";
import { scrubAccount, scrubAccountInBody } from "./scrub-account.ts";
import { withoutPlaces } from "./without-places.ts";
import { withoutSecrets } from "./without-secrets.ts";

/**
 * An upstream's words as every caller reads them, the one place they pass on their way out (an
 * error's message in either dialect's shape, a relayed error body or error event, the audit row's
 * `errorMessage`, the breaker's warning): no credential they quote (core/without-secrets.ts), no
 * URL, address or AWS account of the gateway's upstreams (core/without-places.ts), nothing of the
 * gateway's upstream account (core/scrub-account.ts). The gateway's log keeps them whole, redacted.
 */
export const forCallers = (words: string): string => scrubAccount(secretsAndPlacesOut(words));

// Places first: a URL goes whole, the key in its query with it.
const secretsAndPlacesOut = (words: string): string => withoutSecrets(withoutPlaces(words));

/**
 * An error's message as a caller is told it: an upstream's (`error` carries `upstream`) for
 * callers, the gateway's own as it is. The very string when there is nothing to take out.
 */
export const messageForCallers = (error: Pick<GatewayError, "message" | "upstream">): string =>
  error.upstream === undefined ? error.message : forCallers(error.message);

/**
 * An error's wire fields with their message for callers, when the message is an upstream's
 * (`error` carries `upstream`): never the gateway's own words (`modelNotFound` quoting a caller's
 * model `projects/acme/models/gemma`). The very object when there is nothing to take out.
 */
export function fieldsForCallers<T extends { readonly message: string }>(
  fields: T,
  error: Pick<GatewayError, "upstream">,
): T {
  const message = messageForCallers({ message: fields.message, upstream: error.upstream });
  return message === fields.message ? fields : { ...fields, message };
}

/**
 * An upstream's error body (or error event) as a caller may get it: its messages for callers —
 * `error.message`, Google's `error.details[].message`, a `message` at the top — and what
 * `scrubAccountInBody` leaves out. Every other field is kept as sent: what it echoes of the
 * caller's request is the caller's. The very object when there is nothing to take out.
 */
export const bodyForCallers = (body: JsonObject, text?: string): JsonObject =>
  scrubAccountInBody(messagesChanged(body, secretsAndPlacesOut), text);

/**
 * `body` with `change` applied to its messages; the very object when none changed. The same walk
 * as `scrubAccountInBody`'s, handed what to do with each message (that one can take it once
 * scrub-account.ts is free to change).
 */
function messagesChanged(body: JsonObject, change: Change): JsonObject {
  const message = changedString(body.message, change);
  const error = isJsonObject(body.error) ? errorChanged(body.error, change) : body.error;
  if (message === body.message && error === body.error) return body;
  return { ...body, ...changed("message", body.message, message), ...changed("error", body.error, error) };
}

type Change = (words: string) => string;

/** An error object with its `message`, and its `details`' messages (Google's), changed. */
function errorChanged(error: JsonObject, change: Change): JsonObject {
  const message = changedString(error.message, change);
  const details = Array.isArray(error.details) ? detailsChanged(error.details, change) : error.details;
  if (message === error.message && details === error.details) return error;
  return {
    ...error,
    ...changed("message", error.message, message),
    ...changed("details", error.details, details),
  };
}

/** Google's `details`, each one's `message` changed; the very array when none changed. */
function detailsChanged(details: unknown[], change: Change): unknown[] {
  let copy: unknown[] | undefined;
  details.forEach((detail, index) => {
    if (!isJsonObject(detail)) return;
    const message = changedString(detail.message, change);
    if (message === detail.message) return;
    copy ??= [...details];
    copy[index] = { ...detail, message };
  });
  return copy ?? details;
}

const changedString = (value: unknown, change: Change): unknown =>
  typeof value === "string" ? change(value) : value;

/** `{[key]: now}` when it differs from what was, else nothing: a field written only when changed. */
const changed = (key: string, was: unknown, now: unknown): JsonObject => (now === was ? {} : { [key]: now });
