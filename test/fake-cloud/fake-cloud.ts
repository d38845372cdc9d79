import { importSPKI, jwtVerify } from "jose";
import { prepareCountTokens, prepareMessages } from "../fake-upstream/anthropic-messages.ts";
import { isRefusal } from "../fake-upstream/fake-call.ts";
import { AZURE_OPENAI_BY_AUTHORITY, type ChatLike, lastUserText } from "./azure-wire.ts";
import { BedrockAuth } from "./bedrock-auth.ts";
import {
  blankText,
  converseFrames,
  converseJson,
  emptyStopSequence,
  eventFrame,
  exceptionFrame,
  invalidDocuments,
  systemRefused,
  tooLongToolUseId,
  undeclaredTools,
} from "./bedrock-wire.ts";
import { bedrockBetaRefusal, vertexBetaRefusal } from "./claude-betas.ts";
import { answerFor } from "./cloud-script.ts";
import { bedrockAnswer, type ConverseLike } from "./converse-answer.ts";
import { bedrockCount, CountRefusal, googleCount } from "./count-wire.ts";
import {
  cohereAnswer,
  EmbeddingRefusal,
  geminiBatchAnswer,
  titanAnswer,
  vertexPredictAnswer,
} from "./embedding-wire.ts";
import type { CloudFailure, CloudRequest, FakeCloud, FakeCloudOptions } from "./fake-cloud-api.ts";
import {
  type GeminiContents,
  type GeminiStops,
  type GeminiThinking,
  generateContentEvents,
  generateContentJson,
  googleError,
  missingSignature,
  showsThoughts,
  stopSequencesRefusal,
  thinkingRefusal,
} from "./gemini-wire.ts";
import { chatEvents, chatJson, tooLongCallId, unknownToVersion } from "./openai-wire.ts";

export type { CloudFailure, CloudRequest, FakeCloud, FakeCloudOptions } from "./fake-cloud-api.ts";

/**
 * Fakes of the cloud vendors' wire formats in one loopback server: Azure OpenAI (deployments
 * and api-version, api-key or Entra bearer), Bedrock Converse/ConverseStream (SigV4 verified from AWS's rules, not by the gateway's signer,
 * binary event-stream frames; InvokeModel for Titan and Cohere embeddings), Claude on Vertex AI
 * (rawPredict, streamRawPredict, count-tokens, answered by the Anthropic fake's code), Gemini API and Vertex
 * AI (generateContent, SSE; batchEmbedContents and predict for embeddings), and the token
 * endpoints their credentials come from (Entra, Google OAuth JWT bearer, STS, ECS container).
 */
export async function startFakeCloud(options: FakeCloudOptions): Promise<FakeCloud> {
  const requests: CloudRequest[] = [];
  const failures: CloudFailure[] = [];
  const issued = { entra: 0, google: 0, sts: 0, container: 0 };
  let aborted = 0;
  /** The next stream's second write waits for this (`cutNext`). */
  let cut: Promise<void> | undefined;
  const bearerTokens = new Set<string>();
  const bedrockAuth = new BedrockAuth(options);
  const googleKey = await importSPKI(options.google.publicKeyPem, "RS256");
  let tokenLifetime = options.tokenLifetime;
  const expiresAt = () => new Date(Date.now() + tokenLifetime * 1000).toISOString();

  const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
    Response.json(body, { status, headers });
  const sse = (events: string[]) =>
    new Response(streamBody(events.map((event) => new TextEncoder().encode(event))), {
      headers: { "content-type": "text/event-stream" },
    });

  /** A stream's events in one write, or two cut in the third event's middle (`cutNext`). */
  function streamBody(events: Uint8Array[]): Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> {
    const whole = new Uint8Array(events.reduce((n, event) => n + event.length, 0));
    let at = 0;
    for (const event of events) {
      whole.set(event, at);
      at += event.length;
    }
    const rest = cut;
    cut = undefined;
    if (!rest) return whole;
    const middle = (events[0]?.length ?? 0) + (events[1]?.length ?? 0) + ((events[2]?.length ?? 0) >> 1);
    return new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(whole.slice(0, middle));
        await rest;
        controller.enqueue(whole.slice(middle));
        controller.close();
      },
    });
  }

  function issueBearer(kind: "entra" | "google"): Response {
    issued[kind] += 1;
    const token = `${kind}-token-${issued[kind]}`;
    bearerTokens.add(token);
    return json({ access_token: token, token_type: "Bearer", expires_in: tokenLifetime });
  }

  function issueAws(kind: "sts" | "container"): { id: string; secret: string; token: string } {
    issued[kind] += 1;
    const id = `ASIA${kind.toUpperCase()}${issued[kind]}`;
    const secret = `secret-${kind}-${issued[kind]}`;
    bedrockAuth.issue(id, secret);
    return { id, secret, token: `session-${kind}-${issued[kind]}` };
  }

  /** The next queued failure, in Google's error shape (Gemini, Vertex, Claude on Vertex). */
  function googleFailure(): Response | undefined {
    if (failures[0]?.midStream || failures[0]?.endAfter) return undefined;
    const failure = failures.shift();
    if (!failure) return undefined;
    return json(
      googleError(failure.status, failure.type, failure.message, failure.google),
      failure.status,
      retryHeader(failure),
    );
  }

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const body = await req.text();
      const headers: Record<string, string> = {};
      req.headers.forEach((value, name) => {
        headers[name] = value;
      });
      requests.push({ method: req.method, path: url.pathname, query: url.search, headers, body });
      const form = new URLSearchParams(body);
      const path = url.pathname;

      // --- token and credential endpoints
      if (path === `/${options.entra.tenant}/oauth2/v2.0/token`) {
        const ok =
          form.get("grant_type") === "client_credentials" &&
          form.get("client_id") === options.entra.clientId &&
          form.get("client_secret") === options.entra.clientSecret;
        if (!ok) return json({ error: "invalid_client" }, 401);
        // Each cloud's authority (reached as itself through this fake as a proxy, or on loopback as
        // the commercial one) issues tokens for its own cloud's Azure OpenAI alone.
        const resource = AZURE_OPENAI_BY_AUTHORITY[url.hostname] ?? "https://cognitiveservices.azure.com";
        const scope = form.get("scope") ?? "";
        if (scope !== `${resource}/.default`)
          return json(
            {
              error: "invalid_resource",
              error_description: `AADSTS500011: The resource principal named ${scope.replace(/\/\.default$/, "")} was not found in the tenant named ${options.entra.tenant}.`,
            },
            400,
          );
        return issueBearer("entra");
      }
      if (path === "/google/token") {
        try {
          const { payload } = await jwtVerify(form.get("assertion") ?? "", googleKey, {
            issuer: options.google.clientEmail,
            audience: `${url.origin}/google/token`,
          });
          if (payload.scope !== "https://www.googleapis.com/auth/cloud-platform") throw new Error("scope");
        } catch {
          return json({ error: "invalid_grant" }, 400);
        }
        return issueBearer("google");
      }
      if (path === "/sts") {
        if (
          form.get("Action") !== "AssumeRoleWithWebIdentity" ||
          form.get("WebIdentityToken") !== options.webIdentityToken
        )
          return new Response(
            "<ErrorResponse><Error><Code>InvalidIdentityToken</Code></Error></ErrorResponse>",
            { status: 400 },
          );
        const c = issueAws("sts");
        return new Response(
          `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${c.id}</AccessKeyId><SecretAccessKey>${c.secret}</SecretAccessKey><SessionToken>${c.token}</SessionToken><Expiration>${expiresAt()}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
          { headers: { "content-type": "text/xml" } },
        );
      }
      if (path === "/container-credentials") {
        if (req.headers.get("authorization") !== options.containerToken)
          return json({ message: "denied" }, 403);
        const c = issueAws("container");
        return json({
          AccessKeyId: c.id,
          SecretAccessKey: c.secret,
          Token: c.token,
          Expiration: expiresAt(),
        });
      }

      // --- Azure OpenAI
      const azure = /^\/openai\/(?:deployments\/([^/]+)|v1)\/chat\/completions$/.exec(path);
      if (azure) {
        const bearer = req.headers.get("authorization")?.replace(/^Bearer /, "");
        if (req.headers.get("api-key") !== options.azureKey && !(bearer && bearerTokens.has(bearer)))
          return json(
            { error: { code: "401", message: "Access denied due to invalid subscription key." } },
            401,
          );
        if (azure[1] && !url.searchParams.get("api-version"))
          return json({ error: { code: "404", message: "Resource not found" } }, 404);
        const failure = failures.shift();
        if (failure)
          return json({ error: { code: failure.type, message: failure.message } }, failure.status, {
            ...retryHeader(failure),
            ...(failure.msRetryAfterMs ? { "x-ms-retry-after-ms": failure.msRetryAfterMs } : {}),
          });
        const request = JSON.parse(body) as ChatLike;
        const tooLong =
          tooLongCallId(request) ?? unknownToVersion(url.searchParams.get("api-version"), request);
        if (tooLong) return json(tooLong, 400);
        const answer = answerFor(lastUserText(request), request.tools?.[0]?.function?.name, "azure");
        const model = azure[1] ? decodeURIComponent(azure[1]) : String(request.model);
        if (request.stream)
          return sse(chatEvents(answer, model, request.stream_options?.include_usage === true));
        return json(chatJson(answer, model));
      }

      // --- Bedrock Converse
      const bedrock =
        /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream|count-tokens)$/.exec(
          path,
        );
      if (bedrock) {
        const problem = bedrockAuth.problem(req, body);
        if (problem) return problem;
        const failure = failures.shift();
        if (failure && !failure.midStream && !failure.stall && !failure.endAfter && !failure.stopReason)
          return json({ message: failure.message }, failure.status, {
            "x-amzn-errortype": failure.type,
            ...retryHeader(failure),
          });
        if (bedrock[2] === "invoke") return invokeModel(decodeURIComponent(bedrock[1] ?? ""), body);
        if (bedrock[2] === "invoke-with-response-stream")
          return bedrockClaude(decodeURIComponent(bedrock[1] ?? ""), true, body, failure);
        if (bedrock[2] === "count-tokens") {
          try {
            return json(bedrockCount(decodeURIComponent(bedrock[1] ?? ""), JSON.parse(body)));
          } catch (error) {
            if (!(error instanceof CountRefusal)) throw error;
            return json({ message: error.message }, 400, {
              "x-amzn-errortype":
                "ValidationException:http://internal.amazon.com/coral/com.amazonaws.bedrock/",
            });
          }
        }
        const request = JSON.parse(body) as ConverseLike;
        const tooLong =
          tooLongToolUseId(request) ??
          invalidDocuments(request) ??
          blankText(request) ??
          emptyStopSequence(request) ??
          systemRefused(decodeURIComponent(bedrock[1] ?? ""), request) ??
          undeclaredTools(request);
        if (tooLong)
          return json({ message: tooLong }, 400, {
            "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazonaws.bedrock/",
          });
        const lastUser = request.messages.findLast((m) => m.role === "user");
        const text = lastUser?.content.map((block) => block.text ?? "").join("") ?? "";
        const answer = bedrockAnswer(text, request.toolConfig?.tools?.[0]?.toolSpec?.name);
        if (bedrock[2] === "converse") return json(converseJson(answer, failure?.stopReason));
        const frames = converseFrames(answer, failure?.stopReason);
        if (failure?.midStream)
          frames.splice(2, frames.length - 2, exceptionFrame(failure.type, failure.message));
        const headers = { "content-type": "application/vnd.amazon.eventstream" };
        if (failure?.stall !== true) return new Response(streamBody(frames), { headers });
        req.signal.addEventListener("abort", () => aborted++, { once: true });
        const stalled = new ReadableStream<Uint8Array>({
          start(controller) {
            for (const frame of frames.slice(0, 2)) controller.enqueue(frame);
          },
        });
        return new Response(stalled, { headers });
      }

      // --- Claude on Vertex AI (publishers/anthropic): the Messages API through rawPredict
      const claude =
        /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict)$/.exec(
          path,
        );
      if (claude) {
        const bearer = req.headers.get("authorization")?.replace(/^Bearer /, "");
        if (bearer === undefined || !bearerTokens.has(bearer))
          return json(
            googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
            401,
          );
        const failed = googleFailure();
        if (failed) return failed;
        const betas = vertexBetaRefusal(headers["anthropic-beta"]);
        if (betas)
          return json({ type: "error", error: { type: "invalid_request_error", message: betas } }, 400);
        const cut = failures[0]?.endAfter ? failures.shift() : undefined;
        return vertexClaude(decodeURIComponent(claude[1] ?? ""), claude[2] === "streamRawPredict", body, cut);
      }

      // --- Gemini API and Vertex AI
      const google =
        /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents|countTokens)$/.exec(
          path,
        ) ??
        /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/([^/:]+):(generateContent|streamGenerateContent|predict|countTokens)$/.exec(
          path,
        );
      if (google) {
        const vertex = path.startsWith("/v1/projects/");
        const bearer = req.headers.get("authorization")?.replace(/^Bearer /, "");
        const authorised = vertex
          ? bearer !== undefined && bearerTokens.has(bearer)
          : req.headers.get("x-goog-api-key") === options.geminiKey;
        if (!authorised)
          return vertex
            ? json(
                googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
                401,
              )
            : json(
                googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", {
                  reason: "API_KEY_INVALID",
                }),
                400,
              );
        const failed = googleFailure();
        if (failed) return failed;
        const model = decodeURIComponent(google[1] ?? "");
        if (google[2] === "countTokens") {
          try {
            return json(googleCount(model, vertex, JSON.parse(body)));
          } catch (error) {
            if (!(error instanceof CountRefusal)) throw error;
            return json(googleError(400, "INVALID_ARGUMENT", error.message), 400);
          }
        }
        if (google[2] === "batchEmbedContents" || google[2] === "predict") {
          try {
            const request = JSON.parse(body);
            return json(
              google[2] === "predict"
                ? vertexPredictAnswer(model, request)
                : geminiBatchAnswer(model, request),
            );
          } catch (error) {
            if (!(error instanceof EmbeddingRefusal)) throw error;
            return json(googleError(400, "INVALID_ARGUMENT", error.message), 400);
          }
        }
        const request = JSON.parse(body) as GeminiLike;
        const unsigned = missingSignature(request);
        if (unsigned) return json(googleError(400, "INVALID_ARGUMENT", unsigned), 400);
        const thinking = thinkingRefusal(model, request);
        if (thinking) return json(googleError(400, "INVALID_ARGUMENT", thinking), 400);
        const stops = stopSequencesRefusal(request);
        if (stops) return json(googleError(400, "INVALID_ARGUMENT", stops), 400);
        const lastUser = request.contents.findLast((c) => c.role === "user");
        const text = lastUser?.parts.map((part) => part.text ?? "").join("") ?? "";
        const tool = request.tools?.[0]?.functionDeclarations?.[0]?.name;
        const answer = answerFor(text, tool, vertex ? "vertex" : "gemini");
        if (google[2] === "streamGenerateContent") {
          if (url.searchParams.get("alt") !== "sse")
            return json(googleError(400, "INVALID_ARGUMENT", "this fake streams only with alt=sse"), 400);
          const events = generateContentEvents(answer, model, showsThoughts(request));
          // Google ends a stream that fails after it began with its error object as an event.
          const broken = failures[0]?.midStream ? failures.shift() : undefined;
          if (broken) {
            const error = googleError(broken.status, broken.type, broken.message, broken.google);
            events.splice(2, events.length - 2, `data: ${JSON.stringify(error)}\r\n\r\n`);
          }
          return sse(events);
        }
        return json(generateContentJson(answer, model, showsThoughts(request)));
      }
      return json({ error: { message: `no such route ${req.method} ${path}` } }, 404);
    },
  });

  /**
   * Claude's Messages API as Vertex AI serves it: the model in the URL (`count-tokens` for
   * counting, the model then in the body), `anthropic_version: vertex-2023-10-16` in the body,
   * Anthropic's own answers, events and errors (a beta off Vertex's list refused before it:
   * claude-betas.ts).
   */
  function vertexClaude(model: string, stream: boolean, text: string, cut?: CloudFailure): Response {
    const refuse = (message: string) =>
      json({ type: "error", error: { type: "invalid_request_error", message } }, 400);
    const request = JSON.parse(text) as Record<string, unknown>;
    if (request.anthropic_version !== "vertex-2023-10-16")
      return refuse("anthropic_version: Input should be 'vertex-2023-10-16'");
    const { anthropic_version: _version, ...rest } = request;
    const counting = model === "count-tokens";
    if (counting !== "model" in rest)
      return refuse(counting ? "model: Field required" : "model: Extra inputs are not permitted");
    const prepared = counting ? prepareCountTokens(rest) : prepareMessages({ ...rest, model });
    if (isRefusal(prepared)) return refuse(prepared.message);
    if (prepared.stream !== stream)
      return refuse("stream: streamRawPredict takes stream: true, rawPredict none");
    const answer = prepared.render({});
    if ("json" in answer) return json(answer.json);
    return new Response(endAfter(answer.frames, cut).join(""), {
      headers: { "content-type": "text/event-stream" },
    });
  }

  /**
   * Claude on Bedrock through InvokeModel: Anthropic's body with `anthropic_version:
   * bedrock-2023-05-31`, no `model` (in the URL) and no `stream` (in the action); a stream's
   * events each base64 in a `chunk` frame's `bytes`. Refusals are Bedrock's ValidationException,
   * a beta off Bedrock's list among them ("invalid beta flag": claude-betas.ts).
   */
  function bedrockClaude(model: string, stream: boolean, text: string, failure?: CloudFailure): Response {
    const refuse = (message: string) =>
      json({ message }, 400, {
        "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazonaws.bedrock/",
      });
    const request = JSON.parse(text) as Record<string, unknown>;
    if (request.anthropic_version !== "bedrock-2023-05-31")
      return refuse("Malformed input request: #/anthropic_version: expected bedrock-2023-05-31");
    for (const key of ["model", "stream"])
      if (key in request) return refuse(`Malformed input request: extraneous key [${key}] is not permitted`);
    const betas = bedrockBetaRefusal(request.anthropic_beta);
    if (betas) return refuse(betas);
    const { anthropic_version: _version, anthropic_beta: _betas, ...rest } = request;
    const prepared = prepareMessages({ ...rest, model, ...(stream ? { stream: true } : {}) });
    if (isRefusal(prepared)) return refuse(prepared.message);
    const answer = prepared.render({});
    if ("json" in answer) return json(answer.json);
    const frames = endAfter(answer.frames, failure).map((frame) => {
      const data = /^data: (.*)$/m.exec(frame)?.[1] ?? "{}";
      return eventFrame("chunk", { bytes: Buffer.from(data).toString("base64") });
    });
    if (failure?.midStream)
      frames.splice(2, frames.length - 2, exceptionFrame(failure.type, failure.message));
    return new Response(streamBody(frames), {
      headers: { "content-type": "application/vnd.amazon.eventstream" },
    });
  }

  /** Bedrock's InvokeModel for the embedding families the gateway speaks (Titan, Cohere). */
  function invokeModel(model: string, body: string): Response {
    const refuse = (message: string) =>
      json({ message }, 400, {
        "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazonaws.bedrock/",
      });
    if (/anthropic\.claude/.test(model)) return bedrockClaude(model, false, body);
    try {
      const request = JSON.parse(body);
      if (/amazon\.titan-embed-text/.test(model)) return json(titanAnswer(request, model));
      if (model.includes("cohere.embed")) {
        const { body: answer, tokens } = cohereAnswer(request, model);
        return json(answer, 200, { "X-Amzn-Bedrock-Input-Token-Count": String(tokens) });
      }
      return refuse(`The provided model identifier is invalid for InvokeModel in this fake: ${model}`);
    } catch (error) {
      if (!(error instanceof EmbeddingRefusal)) throw error;
      return refuse(error.message);
    }
  }

  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    issued,
    aborted: () => aborted,
    failNext: (failure) => {
      failures.push(failure);
    },
    setTokenLifetime: (seconds) => {
      tokenLifetime = seconds;
    },
    setClockOffset: (ms) => {
      bedrockAuth.clockOffset = ms;
    },
    revokeTokens: () => {
      bearerTokens.clear();
      bedrockAuth.revoke();
    },
    cutNext: () => {
      const { promise, resolve } = Promise.withResolvers<void>();
      cut = promise;
      return resolve;
    },
    stop: async () => {
      await server.stop(true);
    },
  };
}

interface GeminiLike extends GeminiContents {
  generationConfig?: GeminiThinking["generationConfig"] & GeminiStops["generationConfig"];
  tools?: Array<{ functionDeclarations?: Array<{ name?: string }> }>;
}

/**
 * A Claude stream's SSE frames up to the first event of `cut.endAfter`'s type, when given, and
 * Anthropic's error event after it when `cut.errorEvent`.
 */
function endAfter(frames: string[], cut: CloudFailure | undefined): string[] {
  if (!cut?.endAfter) return frames;
  const at = frames.findIndex((frame) => frame.startsWith(`event: ${cut.endAfter}\n`));
  const kept = at === -1 ? frames : frames.slice(0, at + 1);
  if (!cut.errorEvent) return kept;
  const error = { type: "error", error: { type: cut.type, message: cut.message } };
  return [...kept, `event: error\ndata: ${JSON.stringify(error)}\n\n`];
}

const retryHeader = (failure: CloudFailure): Record<string, string> =>
  failure.retryAfter ? { "retry-after": failure.retryAfter } : {};
