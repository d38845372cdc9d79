import type { FakeSignIn } from "../../src/testing/fake-sign-in.ts";
import type { GoogleErrorDetails } from "./gemini-wire.ts";

/** One request the fake received (token endpoints included). */
export interface CloudRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
}

/** A failure to answer the next model call with, in that vendor's own shape. */
export interface CloudFailure {
  status: number;
  /** Bedrock's `x-amzn-ErrorType`, or Google's `status`; also the exception type mid-stream. */
  type: string;
  message: string;
  /**
   * Send this after the first events instead: Bedrock's exception frame, or Google's error object
   * as a stream event (Gemini and Vertex).
   */
  midStream?: boolean;
  /** Bedrock streams only: send the first events, then nothing until the caller hangs up. */
  stall?: boolean;
  retryAfter?: string;
  /** Azure only: `x-ms-retry-after-ms`, the wait in ms some Azure services say alone (Azure SDKs read it). */
  msRetryAfterMs?: string;
  /**
   * Claude streams only (Bedrock InvokeModel, Vertex streamRawPredict): end the body cleanly
   * right after the first event of this type, as an upstream that drops the connection does.
   */
  endAfter?: string;
  /**
   * With `endAfter`: Anthropic's own `error` event (`type`, `message`) after that event, then the
   * body's end, as Anthropic reports an overload once the answer began.
   */
  errorEvent?: boolean;
  /** Google only: ErrorInfo's `reason` and RetryInfo's `retryDelay` in `details`. */
  google?: GoogleErrorDetails;
  /**
   * Bedrock Converse only: a 200 whose turn ends in this stopReason with nothing written
   * (`malformed_tool_use`, `malformed_model_output`), whole or streamed.
   */
  stopReason?: string;
  /**
   * Google only (`status` unread): a 200 `generateContent` with no candidate, its usage alone, as
   * Gemini answers at times (google/adk-python#6512, ShishirPatil/gorilla#809); streamed
   * (`streamGenerateContent?alt=sse`), a stream of that one event.
   */
  noCandidates?: boolean;
  /**
   * Google only (`status` unread): a 200 whose prompt Gemini blocked, no candidate and
   * `promptFeedback.blockReason` this reason (`SAFETY`, `PROHIBITED_CONTENT`, …) with the prompt's
   * usage, whole or as a stream's one event ("only sent in the first stream chunk": Google's
   * GenerateContentResponse reference; vercel/ai#4236 records the streamed event).
   */
  blockReason?: string;
}

export interface FakeCloudOptions {
  azureKey: string;
  entra: { tenant: string; clientId: string; clientSecret: string };
  aws: { accessKeyId: string; secretAccessKey: string; region: string };
  webIdentityToken: string;
  containerToken: string;
  geminiKey: string;
  /** The Amazon Bedrock API key Bedrock takes as a bearer, in place of a SigV4 signature. */
  bedrockApiKey: string;
  /** The service account's public key (SPKI PEM) and email, to verify the JWT assertion. */
  google: { clientEmail: string; publicKeyPem: string };
  /** Seconds every issued token or temporary credential lives (short, to exercise refresh). */
  tokenLifetime: number;
}

export interface FakeCloud {
  readonly url: string;
  readonly requests: CloudRequest[];
  /** Answers the next model call (any vendor) with this failure. */
  failNext(failure: CloudFailure): void;
  /**
   * The next stream (Bedrock or Gemini) is written in two writes, cut in the middle of its third
   * event: the second once the function returned is called.
   */
  cutNext(): () => void;
  /** Model calls whose caller hung up before the answer ended. */
  readonly aborted: () => number;
  /** Token and credential grants issued so far, by endpoint kind. */
  readonly issued: Record<"entra" | "google" | "sts" | "container" | "signin", number>;
  /** AWS Sign-In, where a test caches `aws login` sessions and sees their refreshes. */
  readonly signIn: FakeSignIn;
  /** How long tokens and temporary credentials issued from now on live, in seconds. */
  setTokenLifetime(seconds: number): void;
  /**
   * Puts Bedrock's clock this far ahead of the host's (behind, if negative): a signature more than
   * 15 minutes off it is refused as AWS refuses one, its `Date` saying AWS's time.
   */
  setClockOffset(ms: number): void;
  /**
   * Refuses every token and temporary credential issued so far, as a cloud does once they are
   * revoked (a disabled service account, a rotated app secret): bearer tokens with a 401, AWS
   * session keys with a 403 ExpiredTokenException.
   */
  revokeTokens(): void;
  stop(): Promise<void>;
}
