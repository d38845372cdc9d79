import { isJsonObject } from "../core/dialect.ts";
import type { GatewayError, UpstreamErrorDetail } from "../core/gateway-error.ts";
import type { CallerPaths } from "../translate/caller-paths.ts";

/** A translated call's fields by the caller's names for them (`AdaptedCall.callerNames`). */
export type CallerNames = Readonly<Record<string, string>>;

/**
 * How a translated call's fields are named for the caller: a table, or a rule (`field` → the
 * caller's name, undefined for one it does not rename), where a table would be built on every
 * request for an error few meet (a tool's schema, by its index), or where two translations compose.
 */
export type CallerNaming = CallerNames | ((field: string) => string | undefined);

/** The caller's name for `field` by `names`; undefined when it renames none. */
export function callerName(names: CallerNaming | undefined, field: string): string | undefined {
  if (typeof names === "function") return names(field);
  return names && Object.hasOwn(names, field) ? names[field] : undefined;
}

/**
 * An error whose `param` names a field the translation wrote, with the caller's name for it
 * instead: a Messages caller's `max_tokens` for the chat request's `max_completion_tokens`, a
 * Responses caller's `max_output_tokens` (`names`); a chat message's part, by where it came from in
 * the caller's request (`paths`: `input[2].content[1]`, not `messages.3.content.1`), its type named
 * as the caller's (`"input_file"`, not `"file"`) in a message that leads with the path. Both the
 * error's `param` and the upstream's body, which an OpenAI-dialect caller gets as sent, say it so:
 * the caller never reads of a field it did not send. Any other error comes back as it is.
 */
export function inCallerNames(
  error: GatewayError,
  names: CallerNaming | undefined,
  paths?: CallerPaths,
): GatewayError {
  const led = error.param === undefined ? anthropicField(error) : undefined;
  const param = error.param ?? led;
  if (param === undefined) return error;
  const renamed = callerName(names, param);
  const resolved = renamed === undefined && led === undefined ? paths?.resolve(param) : undefined;
  const named = renamed ?? resolved?.path;
  if (named === undefined) return error;
  let message = error.message;
  if ((resolved || led) && message.startsWith(`${param}:`)) {
    message = `${named}${message.slice(param.length)}`;
    if (resolved?.part) message = message.replaceAll(`"${resolved.part.chat}"`, `"${resolved.part.caller}"`);
  }
  // Every other field as it was: its retry verdicts (same route, same API, the breaker), its usage.
  const upstream = error.upstream && renamedInBody(error.upstream, param, named);
  return error.with({ message, param: named, upstream });
}

/**
 * The field an Anthropic error leads its message with, which stands for OpenAI's `param` (Anthropic
 * has none): "output_config.format.schema: For 'integer' type, …", "tools.0.custom.input_schema: …".
 */
function anthropicField(error: GatewayError): string | undefined {
  if (error.upstream?.dialect !== "anthropic") return undefined;
  return /^([A-Za-z_]\w*(?:\.\w+)*): /.exec(error.message)?.[1];
}

/** The upstream's OpenAI error body with its `param` renamed, and its text to match. */
function renamedInBody(upstream: UpstreamErrorDetail, param: string, named: string): UpstreamErrorDetail {
  const inner = upstream.body?.error;
  if (!isJsonObject(inner) || inner.param !== param) return upstream;
  const body = { ...upstream.body, error: { ...inner, param: named } };
  return { ...upstream, body, text: JSON.stringify(body) };
}
