import { isJsonObject } from "../core/dialect.ts";
import { GatewayError, type UpstreamErrorDetail } from "../core/gateway-error.ts";

/** A translated call's fields by the caller's names for them (`AdaptedCall.callerNames`). */
export type CallerNames = Readonly<Record<string, string>>;

/**
 * An upstream's error whose `param` names a field the translation wrote, with the caller's name
 * for it instead: a Messages caller's `max_tokens` for the chat request's `max_completion_tokens`,
 * a Responses caller's `max_output_tokens`. Both the error's `param` and the upstream's body, which
 * an OpenAI-dialect caller gets as sent, say it so: the caller never reads of a field it did not
 * send. Any other error comes back as it is.
 */
export function inCallerNames(error: GatewayError, names: CallerNames | undefined): GatewayError {
  const param = error.param;
  const named = param !== undefined && names && Object.hasOwn(names, param) ? names[param] : undefined;
  if (param === undefined || named === undefined) return error;
  const upstream = error.upstream && renamedInBody(error.upstream, param, named);
  return new GatewayError({
    status: error.status,
    code: error.code,
    message: error.message,
    retryable: error.retryable,
    param: named,
    headers: error.headers,
    ...(upstream ? { upstream } : {}),
    ...(error.refusedBy ? { refusedBy: error.refusedBy } : {}),
    ...(error.cause !== undefined ? { cause: error.cause } : {}),
    ...(error.detail !== undefined ? { detail: error.detail } : {}),
  });
}

/** The upstream's OpenAI error body with its `param` renamed, and its text to match. */
function renamedInBody(upstream: UpstreamErrorDetail, param: string, named: string): UpstreamErrorDetail {
  const inner = upstream.body?.error;
  if (!isJsonObject(inner) || inner.param !== param) return upstream;
  const body = { ...upstream.body, error: { ...inner, param: named } };
  return { ...upstream, body, text: JSON.stringify(body) };
}
