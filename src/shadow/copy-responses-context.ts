import type { ResponsesContext } from "../routing/adapt-dialect.ts";

/** Nothing the copy answers is kept: the client's response alone is stored and held. */
const ignore = (): void => {};

/**
 * A Responses call's context as its shadow copy is translated under: the client's chain and
 * references, so the copy is the same call, but an `onResponse` and an `onFailed` that do nothing.
 * The client's own would store the copy's answer, or the copy's failed stream, under the client's
 * response id (a later, slower copy overwriting the client's answer, which
 * `GET /v1/responses/{id}` and the next turn of the chain would then read) and, on a WebSocket,
 * tell the lane who holds the chain now.
 */
export function copyResponsesContext(context: ResponsesContext | undefined): ResponsesContext | undefined {
  return context && { ...context, onResponse: ignore, onFailed: ignore };
}
