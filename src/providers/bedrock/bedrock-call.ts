import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { upstreamError } from "../../core/gateway-error.ts";
import { TRACEPARENT } from "../../core/traceparent.ts";
import { TRACESTATE } from "../../core/tracestate.ts";
import { DEFAULT_MAX_UPSTREAM_BODY, readBounded, readErrorText } from "../http/read-bounded.ts";
import { unreachable } from "../http/upstream-failure.ts";
import type { ProviderCall } from "../provider.ts";
import { upstreamName } from "../upstream-name.ts";
import { type AwsCredentialConfig, awsCredentialSource } from "./aws-credentials.ts";
import { bedrockErrorMessage, bedrockFailure } from "./bedrock-errors.ts";

export interface BedrockOptions {
  name: string;
  region: string;
  /** Defaults to `https://bedrock-runtime.{region}.amazonaws.com` (or `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`). */
  baseUrl?: string;
  credentials: AwsCredentialConfig;
  headers?: Record<string, string>;
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

/** One Bedrock runtime account's calls: signed, sent, and their failures read as Bedrock's. */
export interface BedrockCalls {
  /** POSTs `body` to `model`'s `action` (`converse`, `invoke`, `count-tokens`, …); an error status throws Bedrock's failure. */
  send(call: ProviderCall, model: string, action: string, body: string): Promise<Response>;
  /** A whole answer's JSON, read within `routing.max_upstream_body`. */
  readJson(call: ProviderCall, response: Response): Promise<JsonObject>;
}

/**
 * The calls of one Bedrock provider (Converse, or Anthropic's Messages body through InvokeModel):
 * the runtime endpoint, the AWS credential chain and SigV4, shared by both.
 */
export function bedrockCalls(options: BedrockOptions): BedrockCalls {
  const env = options.env ?? process.env;
  const base = (
    options.baseUrl ??
    env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME ??
    `https://bedrock-runtime.${options.region}.amazonaws.com`
  ).replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const credentials = awsCredentialSource({
    provider: options.name,
    region: options.region,
    config: options.credentials,
    env,
    fetch: doFetch,
  });

  async function send(call: ProviderCall, model: string, action: string, body: string): Promise<Response> {
    const url = `${base}/model/${encodeURIComponent(model)}/${action}`;
    // Loaded on the first Bedrock call, not at start (docs/BENCHMARKS-HISTORY.md, idle RSS).
    const { AwsV4Signer } = require("aws4fetch") as typeof import("aws4fetch");
    const signer = new AwsV4Signer({
      ...(await credentials.get()),
      url,
      method: "POST",
      headers: { "content-type": "application/json", ...options.headers },
      body,
      service: "bedrock",
      region: options.region,
    });
    const signed = await signer.sign();
    const headers = signed.headers;
    // Added after signing, as every provider sends them (post-json.ts): left out of the signature,
    // so a hop that rewrites the trace context (a tracing proxy) cannot make AWS refuse the call.
    if (call.traceparent !== undefined) {
      headers.set(TRACEPARENT, String(call.traceparent));
      if (call.tracestate !== undefined) headers.set(TRACESTATE, call.tracestate);
    }
    headers.set("x-request-id", call.requestId);
    let response: Response;
    try {
      response = await doFetch(signed.url, {
        method: "POST",
        headers,
        body,
        signal: call.signal,
      });
    } catch {
      if (call.signal.aborted) throw call.signal.reason;
      throw unreachable(options.name);
    }
    if (!response.ok) {
      const text = await readErrorText(response, options.name);
      const type = response.headers.get("x-amzn-errortype") ?? "";
      throw bedrockFailure(
        options.name,
        response.status,
        type,
        bedrockErrorMessage(text),
        response.headers.get("retry-after"),
        call.operation === "embeddings" ? "input" : "messages",
      );
    }
    return response;
  }

  /** A whole answer's JSON, read within `routing.max_upstream_body`. */
  async function readJson(call: ProviderCall, response: Response): Promise<JsonObject> {
    const bytes = await readBounded(
      response,
      call.maxBody ?? DEFAULT_MAX_UPSTREAM_BODY,
      options.name,
      "refuse",
    );
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      json = undefined;
    }
    if (!isJsonObject(json))
      throw upstreamError(`${upstreamName(options.name)} sent a body that is not JSON`);
    return json;
  }

  return { send, readJson };
}
