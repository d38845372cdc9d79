import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { upstreamError } from "../../core/gateway-error.ts";
import { isRedirectStatus } from "../../core/redirect-words.ts";
import { TRACEPARENT } from "../../core/traceparent.ts";
import { TRACESTATE } from "../../core/tracestate.ts";
import type { RefreshFailed } from "../credentials/cached-credential.ts";
import { DEFAULT_MAX_UPSTREAM_BODY, readBounded, readErrorText } from "../http/read-bounded.ts";
import { unreachable } from "../http/unreachable.ts";
import { upstreamRedirect } from "../http/upstream-redirect.ts";
import type { ProviderCall } from "../provider.ts";
import { upstreamName } from "../upstream-name.ts";
import { AwsClock } from "./aws-clock.ts";
import {
  type AwsCredentialConfig,
  type AwsCredentials,
  awsCredentialSource,
  type CredentialWarn,
} from "./aws-credentials.ts";
import { awsEndpoint, BEDROCK_RUNTIME } from "./aws-endpoint.ts";
import { REGION_SOUGHT } from "./aws-region.ts";
import { bedrockApiKey } from "./bedrock-api-key.ts";
import { bedrockErrorMessage, bedrockFailure } from "./bedrock-errors.ts";

export interface BedrockOptions {
  name: string;
  /** Undefined when neither config, AWS_REGION nor the profile names one (aws-region.ts): each call then fails, saying so. */
  region: string | undefined;
  /** Defaults to the configured endpoint (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, …: aws-endpoint.ts), else AWS's host in the region's partition. */
  baseUrl?: string;
  credentials: AwsCredentialConfig;
  headers?: Record<string, string>;
  env?: Record<string, string | undefined>;
  fetch?: typeof fetch;
  /** Told when temporary credentials' refresh fails while the cached ones are still valid (they stay in use). */
  refreshFailed?: RefreshFailed;
  /** The gateway's log, for what a credential source could not do but worked around (aws-credentials.ts). */
  warn?: CredentialWarn;
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
  const region = options.region ?? "";
  const endpoint = awsEndpoint(BEDROCK_RUNTIME, region, env, options.credentials.profile, options.baseUrl);
  const base = (endpoint.url ?? "").replace(/\/+$/, "");
  // Why no call can be made, said by each: no region, or FIPS asked beside a custom endpoint.
  const refusal = !region
    ? `${upstreamName(options.name)} has no AWS region: ${REGION_SOUGHT}`
    : endpoint.refused && `${upstreamName(options.name)}: ${endpoint.refused}`;
  const doFetch = options.fetch ?? fetch;
  // One clock for the provider's Bedrock calls and its STS AssumeRole: the host's skew is the same.
  const clock = new AwsClock();
  const credentials = awsCredentialSource({
    provider: options.name,
    region,
    config: options.credentials,
    env,
    fetch: doFetch,
    refreshFailed: options.refreshFailed,
    clock,
    ...(options.warn ? { warn: options.warn } : {}),
  });
  const apiKey = bedrockApiKey(options.credentials, env);
  const keyHeaders = apiKey
    ? new Headers({
        "content-type": "application/json",
        ...options.headers,
        authorization: `Bearer ${apiKey}`,
      })
    : undefined;

  async function send(call: ProviderCall, model: string, action: string, body: string): Promise<Response> {
    if (refusal) throw upstreamError(refusal, false);
    const url = `${base}/model/${encodeURIComponent(model)}/${action}`;
    const response = keyHeaders
      ? await post(call, url, body, new Headers(keyHeaders))
      : await signedCall(call, url, body);
    if (!response.ok) {
      if (isRedirectStatus(response.status)) {
        await response.body?.cancel().catch(() => {});
        throw upstreamRedirect(options.name, response.status, response.headers.get("location"));
      }
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

  /** The call signed (SigV4) with the credential chain's, sent again where signing anew may mend a refusal. */
  async function signedCall(call: ProviderCall, url: string, body: string): Promise<Response> {
    const signing = await credentials.get();
    // Dated here, not by the signer, so that a refusal is judged by the time the call was signed
    // with, whatever other calls corrected the clock meanwhile.
    const signedWith = clock.signingDate();
    let response = await signedPost(call, url, body, signing, signedWith);
    // A signature AWS refused as dated off its clock: signed again by AWS's time (aws-clock.ts).
    if (clock.corrected(response, signedWith)) {
      await response.body?.cancel().catch(() => {});
      response = await signedPost(call, url, body, signing, clock.signingDate());
    }
    // Temporary credentials (STS web identity, the container endpoint, EC2 instance metadata) that
    // AWS says have expired before the cache's own expiry: fetched again, the call signed and sent
    // once more.
    if (expiredToken(response) && credentials.invalidate(signing)) {
      await response.body?.cancel().catch(() => {});
      response = await signedPost(call, url, body, await credentials.get(), clock.signingDate());
    }
    return response;
  }

  /** The call signed with `signing` (SigV4), dated `datetime` (an `X-Amz-Date`), and POSTed; whatever status it answers. */
  async function signedPost(
    call: ProviderCall,
    url: string,
    body: string,
    signing: AwsCredentials,
    datetime: string,
  ): Promise<Response> {
    // Loaded on the first Bedrock call, not at start (docs/BENCHMARKS-HISTORY.md, idle RSS).
    const { AwsV4Signer } = require("aws4fetch") as typeof import("aws4fetch");
    const signer = new AwsV4Signer({
      ...signing,
      url,
      method: "POST",
      headers: { "content-type": "application/json", ...options.headers },
      body,
      service: "bedrock",
      region,
      datetime,
    });
    const signed = await signer.sign();
    return post(call, signed.url.toString(), body, signed.headers);
  }

  /** POSTs `body` with `headers` (signed, or a Bedrock API key's) and the trace context; whatever status it answers. */
  async function post(call: ProviderCall, url: string, body: string, headers: Headers): Promise<Response> {
    // Added after signing, as every provider sends them (post-json.ts): left out of the signature,
    // so a hop that rewrites the trace context (a tracing proxy) cannot make AWS refuse the call.
    if (call.traceparent !== undefined) {
      headers.set(TRACEPARENT, String(call.traceparent));
      if (call.tracestate !== undefined) headers.set(TRACESTATE, call.tracestate);
    }
    headers.set("x-request-id", call.requestId);
    try {
      // A redirect is never followed: the signature and the prompt would go along (upstream-redirect.ts).
      return await doFetch(url, {
        method: "POST",
        headers,
        body,
        signal: call.signal,
        redirect: "manual",
      });
    } catch (error) {
      if (call.signal.aborted) throw call.signal.reason;
      throw unreachable(options.name, error);
    }
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

/** AWS's refusal of a session token past its expiry (`ExpiredTokenException`, a 403). */
const expiredToken = (response: Response): boolean =>
  response.status === 403 && /^ExpiredToken/i.test(response.headers.get("x-amzn-errortype") ?? "");
