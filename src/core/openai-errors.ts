import { z } from "zod";
import { namesAnthropicModel } from "./anthropic-errors.ts";
import { callerErrorCode } from "./caller-error-code.ts";
import { CONTEXT_TOO_LONG } from "./context-overflow.ts";
import { relayedWords } from "./cut-words.ts";
import { readFastApiError } from "./fastapi-error.ts";
import { fieldsForCallers } from "./for-callers.ts";
import type { ErrorCode, GatewayError } from "./gateway-error.ts";
import { providerSaid } from "./openrouter-provider-error.ts";
import { isOverload, OPENAI_OVERLOAD } from "./overload.ts";
import { saysContextTooLong } from "./says-context-too-long.ts";

/** OpenAI's error body, as a reply and as a `data: {"error":...}` stream event. */
export const openAIErrorBody = z.looseObject({
  error: z.looseObject({
    message: z.string().nullish(),
    type: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
    param: z.string().nullish(),
  }),
});

/** The wire fields of an OpenAI error: `{"error":{message,type,param,code}}`. */
export interface OpenAIWireError {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/**
 * OpenAI's `type` for each of the gateway's error codes. The `code` on the wire is the
 * gateway's own (`rate_limited`, `model_not_found`, `context_length_exceeded`, …).
 */
const TYPE: Record<ErrorCode, string> = {
  invalid_json: "invalid_request_error",
  invalid_request: "invalid_request_error",
  missing_model: "invalid_request_error",
  model_not_found: "invalid_request_error",
  unsupported_operation: "invalid_request_error",
  unsupported_modality: "invalid_request_error",
  context_length_exceeded: "invalid_request_error",
  not_found: "invalid_request_error",
  method_not_allowed: "invalid_request_error",
  upgrade_required: "invalid_request_error",
  previous_response_not_found: "invalid_request_error",
  unauthorized: "authentication_error",
  forbidden: "permission_error",
  payload_too_large: "invalid_request_error",
  rate_limited: "rate_limit_error",
  budget_exceeded: "insufficient_quota",
  upstream_error: "server_error",
  upstream_auth: "server_error",
  upstream_account: "server_error",
  upstream_timeout: "server_error",
  no_route_available: "service_unavailable",
  worker_lost: "server_error",
  unavailable: "service_unavailable",
  over_capacity: "service_unavailable",
  audit_unavailable: "service_unavailable",
  storage_unavailable: "service_unavailable",
  storage_outcome_unknown: "server_error",
  internal_error: "server_error",
  client_closed: "invalid_request_error",
};

/** OpenAI's `type` for a code on the wire: the gateway's own, or an upstream's 429's. */
export function openAIErrorType(code: string): string | undefined {
  if (code === UPSTREAM_RATE_LIMIT) return TYPE.rate_limited;
  return Object.hasOwn(TYPE, code) ? TYPE[code as ErrorCode] : undefined;
}

/**
 * The `code` of every upstream's 429 said in OpenAI's shape (Anthropic's, Bedrock's, Google's,
 * a worker's): OpenAI's own. The gateway's own limits say `rate_limited` (TYPE above).
 */
const UPSTREAM_RATE_LIMIT = "rate_limit_exceeded";

/** How OpenAI's API says an overload: its type and code (core/overload.ts). */
const OVERLOADED = { type: OPENAI_OVERLOAD.type, code: OPENAI_OVERLOAD.code };

/** An Anthropic upstream's error type, as OpenAI's own API would have said it (`not_found_error`: `fromAnthropic`). */
const FROM_ANTHROPIC: Record<string, { type: string; code: string | null }> = {
  invalid_request_error: { type: "invalid_request_error", code: null },
  authentication_error: { type: "invalid_request_error", code: "invalid_api_key" },
  billing_error: { type: "insufficient_quota", code: "insufficient_quota" },
  permission_error: { type: "invalid_request_error", code: "permission_denied" },
  request_too_large: { type: "invalid_request_error", code: "request_too_large" },
  rate_limit_error: { type: "requests", code: UPSTREAM_RATE_LIMIT },
  timeout_error: { type: "server_error", code: "timeout" },
  api_error: { type: "server_error", code: null },
  overloaded_error: OVERLOADED,
};

const MODEL_NOT_FOUND = { type: "invalid_request_error", code: "model_not_found" };

/**
 * An Anthropic upstream's error as OpenAI would have said it. Its `not_found_error` is OpenAI's
 * `model_not_found` only when its words name the model: a file, a batch or a path not found is a
 * plain not-found, said as the gateway's own (undefined: the error's own code and type).
 */
function fromAnthropic(type: string, message: string): { type: string; code: string | null } | undefined {
  if (type === "not_found_error") return namesAnthropicModel(message) ? MODEL_NOT_FOUND : undefined;
  return FROM_ANTHROPIC[type];
}

/**
 * The error in OpenAI's shape. An OpenAI upstream's own body goes back as it came; one in another
 * server's shape (FastAPI's `detail`, TGI's `{"error":"text"}`, vLLM's fields at the top), which
 * OpenAI's SDKs cannot read, keeps its words with the gateway's code and type for it; an Anthropic
 * upstream's type maps through `fromAnthropic`; any upstream's overload is OpenAI's
 * `server_is_overloaded` (core/overload.ts); the gateway's own errors through TYPE. What an
 * upstream's message says of the gateway's upstream account, places and credentials is left out
 * (core/for-callers.ts).
 */
export function openAIWireError(error: GatewayError): OpenAIWireError {
  return fieldsForCallers(wireFields(error), error);
}

/** `openAIWireError` but for what the message leaves out (core/for-callers.ts). */
function wireFields(error: GatewayError): OpenAIWireError {
  const upstream = error.upstream;
  let said: string | undefined;
  if (upstream?.dialect === "openai" && upstream.body) {
    const own = openAIErrorBody.safeParse(upstream.body);
    if (own.success && !lacksJudgedCode(error)) {
      const e = own.data.error;
      return {
        message: e.message ?? error.message,
        // OpenAI's overload code without a type (a Responses stream's error event) is its type's.
        type: e.type ?? (isOverload(error) ? OVERLOADED.type : TYPE[error.code]),
        param: e.param ?? error.param ?? null,
        code: e.code == null ? null : String(e.code),
      };
    }
    said = readOpenAIError(upstream.body)?.message;
  }
  const message = said ?? error.message;
  const param = error.param ?? null;
  if (error.code === "context_length_exceeded") {
    return { message, type: TYPE[error.code], param, code: error.code };
  }
  const mapped =
    upstream?.dialect === "anthropic" && upstream.type ? fromAnthropic(upstream.type, message) : undefined;
  if (mapped) return { message, ...mapped, param };
  if (isOverload(error)) return { message, ...OVERLOADED, param };
  // Some codes are used at several statuses (a worker over capacity is an upstream_error 503).
  const type = error.status === 503 ? "service_unavailable" : TYPE[error.code];
  return {
    message,
    type,
    param,
    code:
      error.openAICode !== undefined
        ? error.openAICode
        : upstreamRateLimit(error)
          ? UPSTREAM_RATE_LIMIT
          : error.code,
  };
}

/**
 * Whether an upstream's OpenAI-shaped error leaves out the code the gateway judged it by: a
 * context-length refusal without OpenAI's `context_length_exceeded` (llama.cpp's
 * `exceed_context_size_error`, vLLM's `BadRequestError`, each with the HTTP status as its code).
 * Clients act on that code alone (Codex ends the turn to compact; agent SDKs check it), so such a
 * body is not relayed as sent: its words go in OpenAI's shape with the code (`wireFields`).
 */
export function lacksJudgedCode(error: GatewayError): boolean {
  if (error.code !== "context_length_exceeded") return false;
  const own = error.upstream?.body?.error;
  return !(
    typeof own === "object" &&
    own !== null &&
    "code" in own &&
    own.code === "context_length_exceeded"
  );
}

/** An upstream's 429, relayed: not one of the gateway's own limits (which name theirs, `refusedBy`). */
function upstreamRateLimit(error: GatewayError): boolean {
  return error.status === 429 && error.code === "rate_limited" && error.refusedBy === undefined;
}

/** The parts of an OpenAI-shaped upstream error the gateway maps from. */
export interface ReadOpenAIError {
  message?: string;
  type?: string;
  code?: string;
  param?: string;
}

/**
 * vLLM's error before its 2025 releases (and servers built on its protocol, SGLang's among them):
 * the error's fields at the top, `{"object":"error","message":…,"type":…,"param":…,"code":400}`,
 * `code` being the HTTP status again.
 */
const topLevelError = z.looseObject({
  object: z.literal("error"),
  message: z.string(),
  type: z.string().nullish(),
  param: z.string().nullish(),
});

/**
 * Reads an OpenAI error body (`{"error":{...}}`, `{"error":"text"}` from some servers, vLLM's
 * fields at the top, or FastAPI's `{"detail":…}`, at the top or as Mistral's `message`:
 * core/fastapi-error.ts). OpenRouter's generic "Provider returned error" is read in its provider's
 * words (core/openrouter-provider-error.ts): a context refusal is known by them, and every caller
 * reads them.
 */
export function readOpenAIError(body: unknown): ReadOpenAIError | undefined {
  const parsed = openAIErrorBody.safeParse(body);
  if (parsed.success) {
    const e = parsed.data.error;
    const provider = fromProvider(e);
    const message = provider?.message ?? e.message;
    // OpenRouter's own type, when it gives one, is as generic as its words: its provider's judges.
    const type = provider?.type ?? e.type;
    return {
      ...(message ? { message } : {}),
      ...(type ? { type } : {}),
      ...(e.code != null ? { code: String(e.code) } : {}),
      ...(e.param ? { param: e.param } : {}),
    };
  }
  const text = z.looseObject({ error: z.string() }).safeParse(body);
  if (text.success) return { message: text.data.error };
  const top = topLevelError.safeParse(body);
  // Mistral's API also says a field its schema refuses as FastAPI's `detail` inside its own
  // envelope: `{"object":"error","message":{"detail":[…]},"type":"invalid_request_error",…}`.
  if (!top.success) return readFastApiError(body) ?? readFastApiError(nestedMessage(body));
  const { message, type, param } = top.data;
  return { message, ...(type ? { type } : {}), ...(param ? { param } : {}) };
}

/**
 * What OpenRouter's provider said, when OpenRouter's own words are generic: its words, as text or
 * in its body, cut to `MAX_RELAYED` characters, as `metadata.raw` is whatever the provider sent;
 * and its body's type, by which its refusals are judged as its own API's are (OpenAI's
 * `insufficient_quota`, Moonshot's `exceeded_current_quota_error`: the gateway's account, through
 * a BYOK key; Anthropic's `overloaded_error`). OpenRouter's `code` stays: it is the HTTP status,
 * what an error said in a stream stands for (`statusForOpenAIError`).
 */
function fromProvider(error: object): { message?: string; type?: string } | undefined {
  const said = providerSaid(error);
  if (said === undefined) return undefined;
  if (typeof said !== "object") return { message: relayedWords(said) };
  const read = readOpenAIError(said);
  return {
    ...(read?.message ? { message: relayedWords(read.message) } : {}),
    ...(read?.type ? { type: read.type } : {}),
  };
}

/** An error body's `message` when it is an object (Mistral's envelope of FastAPI's `detail`). */
const nestedMessage = (body: unknown): unknown =>
  typeof body === "object" && body !== null && "message" in body ? body.message : undefined;

/**
 * The gateway's code for a caller-fault OpenAI upstream error (a 4xx other than 401/403/429, and
 * a 404 that names no route's model: upstream-fault.ts).
 */
export function codeFromOpenAI(status: number, error: ReadOpenAIError | undefined): ErrorCode {
  if (error?.code === "context_length_exceeded") return "context_length_exceeded";
  // llama.cpp's server names it in its type (its code is the HTTP status again).
  if (error?.type === "exceed_context_size_error") return "context_length_exceeded";
  // vLLM, older llama.cpp and Gemini say it only in words, TGI too (with a 422).
  // A listing of validation errors quotes the caller's prompt: not read (saysContextTooLong).
  if (
    (status === 400 || status === 422) &&
    error?.message &&
    saysContextTooLong(error.message, CONTEXT_TOO_LONG)
  )
    return "context_length_exceeded";
  return callerErrorCode(status);
}

/**
 * The `param` of an upstream's OpenAI-shaped refusal judged `code`: its own, but for a context-length
 * refusal that names none, or names its count (vLLM's `input_tokens`, "(parameter=input_tokens,
 * value=230145)"), no field the caller sent: the caller's conversation, `messages` (a Responses
 * caller's `input`: routing/caller-param.ts), what it is to cut.
 */
export function refusalParam(code: ErrorCode, param: string | undefined): string | undefined {
  if (code !== "context_length_exceeded") return param;
  return param === undefined || param === VLLM_COUNT ? "messages" : param;
}

/** vLLM's `param` for a context-length refusal: the prompt's count, no request field. */
const VLLM_COUNT = "input_tokens";

/**
 * The status OpenAI answers an error of this code or type with: what an error said without one
 * stands for (a stream's error chunk or `error` event, a Responses `response.failed`, a whole
 * Responses answer that failed), so that it is judged as an answer of that status is
 * (upstream-fault.ts). The code first, the more precise (a prompt too long, or flagged, is the
 * caller's 400; an exhausted quota OpenAI's 429, the gateway's account's; vLLM's and llama.cpp's
 * code is the status itself), then the type (the gateway's own codes, from a gateway upstream,
 * are known by theirs); anything else is the upstream's own failure.
 */
export function statusForOpenAIError(error: ReadOpenAIError | undefined): number {
  const code = error?.code;
  if (code !== undefined) {
    const status = STATUS_OF_CODE[code] ?? (HTTP_STATUS.test(code) ? Number(code) : undefined);
    if (status !== undefined) return status;
  }
  const type = error?.type;
  return (type !== undefined ? STATUS_OF_TYPE[type] : undefined) ?? 500;
}

/**
 * OpenAI's codes (the Responses API's `response.error.code` among them) that say a status, and the
 * gateway's own timeout, which its type (`server_error`) does not tell from any other failure.
 */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  context_length_exceeded: 400,
  invalid_prompt: 400,
  string_above_max_length: 400,
  invalid_api_key: 401,
  model_not_found: 404,
  insufficient_quota: 429,
  billing_not_active: 429,
  rate_limit_exceeded: 429,
  server_error: 500,
  server_is_overloaded: 503,
  slow_down: 503,
  upstream_timeout: 504,
};

/** OpenAI's types, and the gateway's own (TYPE above), as the status they are answered with. */
const STATUS_OF_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  insufficient_quota: 429,
  billing_not_active: 429,
  exceeded_current_quota_error: 429,
  rate_limit_error: 429,
  requests: 429,
  tokens: 429,
  server_error: 500,
  service_unavailable: 503,
  service_unavailable_error: 503,
};

/** A code that is an HTTP error status (vLLM's, llama.cpp's). */
const HTTP_STATUS = /^[45]\d\d$/;
