import { importSPKI } from "jose";
import { azureRoute } from "./azure-route.ts";
import { bedrockRoute } from "./bedrock-route.ts";
import { type CloudRoute, CloudState, json } from "./cloud-state.ts";
import type { FakeCloud, FakeCloudOptions } from "./fake-cloud-api.ts";
import { googleRoute } from "./google-route.ts";
import { tokenRoute } from "./token-routes.ts";
import { vertexClaudeRoute } from "./vertex-claude-route.ts";

export type { CloudFailure, CloudRequest, FakeCloud, FakeCloudOptions } from "./fake-cloud-api.ts";

/** Each vendor's paths, asked in turn; the first to answer a call serves it. */
const ROUTES: CloudRoute[] = [tokenRoute, azureRoute, bedrockRoute, vertexClaudeRoute, googleRoute];

/**
 * Fakes of the cloud vendors' wire formats in one loopback server: Azure OpenAI (deployments
 * and api-version, api-key or Entra bearer), Bedrock Converse/ConverseStream (SigV4 verified from AWS's rules, not by the gateway's signer,
 * binary event-stream frames; InvokeModel for Titan and Cohere embeddings), Claude on Vertex AI
 * (rawPredict, streamRawPredict, count-tokens, answered by the Anthropic fake's code), Gemini API and Vertex
 * AI (generateContent, SSE; batchEmbedContents and predict for embeddings), and the token
 * endpoints their credentials come from (Entra, Google OAuth JWT bearer, STS, ECS container).
 * One file a vendor: token-routes.ts, azure-route.ts, bedrock-route.ts, vertex-claude-route.ts,
 * google-route.ts, over the state they share (cloud-state.ts).
 */
export async function startFakeCloud(options: FakeCloudOptions): Promise<FakeCloud> {
  const cloud = new CloudState(options, await importSPKI(options.google.publicKeyPem, "RS256"));

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
      cloud.requests.push({ method: req.method, path: url.pathname, query: url.search, headers, body });
      const call = { req, url, path: url.pathname, body, headers };
      for (const route of ROUTES) {
        const answer = await route(cloud, call);
        if (answer) return answer;
      }
      return json({ error: { message: `no such route ${req.method} ${url.pathname}` } }, 404);
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    requests: cloud.requests,
    issued: cloud.issued,
    signIn: cloud.signIn,
    aborted: () => cloud.aborted,
    failNext: (failure) => {
      cloud.failures.push(failure);
    },
    setTokenLifetime: (seconds) => {
      cloud.tokenLifetime = seconds;
    },
    setClockOffset: (ms) => {
      cloud.bedrockAuth.clockOffset = ms;
    },
    revokeTokens: () => {
      cloud.bearerTokens.clear();
      cloud.bedrockAuth.revoke();
    },
    cutNext: () => {
      const { promise, resolve } = Promise.withResolvers<void>();
      cloud.cut = promise;
      return resolve;
    },
    stop: async () => {
      await server.stop(true);
    },
  };
}
