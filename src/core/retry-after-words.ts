/**
 * How a refusal's message points at its wait over HTTP, where `Retry-After` says it (the gateway's
 * own limits, auth/limit-headers.ts): "retry in the time Retry-After says". A transport without
 * headers, the Responses API's WebSocket mode, says the wait itself in these words' place
 * (`waitSaid`): "retry in 54 s".
 */
export const RETRY_AFTER_WORDS = "the time Retry-After says";

/** `message` with the wait (`Retry-After`'s seconds) said where it pointed at the header. */
export const waitSaid = (message: string, retryAfter: string): string =>
  message.replace(RETRY_AFTER_WORDS, `${retryAfter} s`);
