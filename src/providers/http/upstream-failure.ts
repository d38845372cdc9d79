import { codeFromAnthropic, readAnthropicError } from "../../core/anthropic-errors.ts";
import { GatewayError, type UpstreamErrorDetail } from "../../core/gateway-error.ts";
import { codeFromOpenAI, readOpenAIError } from "../../core/openai-errors.ts";

/** What an upstream answered with a non-2xx status. */
export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The body as text ("" when there was none or it could not be read). */
  readonly text: string;
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * Turns a non-2xx upstream answer into a GatewayError that keeps its meaning: the upstream's
 * body, type, code and param travel along (a same-dialect caller gets the body as sent, another
 * dialect gets it mapped through its table). A 4xx that is the caller's fault keeps its status
 * and is not retried. A 429 is retryable on another route and stays a 429 with its Retry-After
 * once every route is exhausted. Our own credentials refused (401/403) and server faults are
 * 502s: the client's request was fine, the gateway's upstream was not.
 */
export function upstreamFailure(provider: string, answer: UpstreamAnswer): GatewayError {
  const { status } = answer;
  const body = parse(answer.text);
  const anthropic = readAnthropicError(body);
  const openai = anthropic ? undefined : readOpenAIError(body);
  const message = anthropic?.message ?? openai?.message;
  const detail: UpstreamErrorDetail = {
    dialect: anthropic ? "anthropic" : "openai",
    status,
    ...(anthropic ? { type: anthropic.type } : {}),
    ...(openai?.type ? { type: openai.type } : {}),
    ...(openai?.code ? { code: openai.code } : {}),
  };
  const withBody: UpstreamErrorDetail =
    typeof body === "object" && body !== null && (anthropic || openai)
      ? { ...detail, body: body as Record<string, unknown> }
      : detail;
  if (status === 401 || status === 403) {
    return new GatewayError({
      status: 502,
      code: "upstream_error",
      // No upstream detail: the client must not read "authentication error" as its own.
      message: `upstream ${provider} rejected the gateway's credentials`,
    });
  }
  if (status === 429) {
    const retryAfter = answer.headers.get("retry-after");
    return new GatewayError({
      status: 429,
      code: "rate_limited",
      message: message ?? `upstream ${provider} is rate limiting the gateway`,
      retryable: true,
      headers: retryAfter ? { "retry-after": retryAfter } : {},
      upstream: withBody,
    });
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 409) {
    const code = anthropic ? codeFromAnthropic(status, anthropic) : codeFromOpenAI(status, openai);
    const param = openai?.param ?? (code === "context_length_exceeded" ? "messages" : undefined);
    return new GatewayError({
      status,
      code,
      message: message ?? `upstream ${provider} rejected the request (${status})`,
      ...(param ? { param } : {}),
      upstream: withBody,
    });
  }
  return new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `upstream ${provider} answered ${status}`,
    retryable: true,
    upstream: detail,
  });
}

/** A fetch that failed before any answer: refused, reset, DNS. Always worth another route. */
export const unreachable = (provider: string) =>
  new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `could not reach upstream ${provider}`,
    retryable: true,
  });
