import { beforeAll } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { exportPKCS8, exportSPKI, generateKeyPair } from "jose";
import OpenAI from "openai";
import { jsonFixture } from "../../../src/translate/fixtures/load-fixture.ts";
import { type CloudRequest, type FakeCloud, startFakeCloud } from "../../fake-cloud/fake-cloud.ts";
import type { CloudFailure } from "../../fake-cloud/fake-cloud-api.ts";
import { type CannedUpstream, startCannedUpstream } from "../../fake-upstream/canned-upstream.ts";
import { gatewayFixture } from "./gateway-fixture.ts";
import type { GatewayProcess, SpawnOptions } from "./spawn-gateway.ts";

// The cloud provider types (azure, bedrock, gemini, vertex) through the compiled binary, against
// fakes of each vendor's wire format that check credentials the way the vendor does (SigV4
// recomputed, service-account JWTs verified, api-version required): the one gateway and fake every
// test/e2e/cloud-*.test.ts file starts, each its own.

export const AWS = {
  accessKeyId: "AKIAFAKESTATIC",
  secretAccessKey: "static-secret-key",
  region: "eu-west-1",
};
/** The Amazon Bedrock API key the fake Bedrock takes as a bearer (`AWS_BEARER_TOKEN_BEDROCK`). */
export const BEDROCK_API_KEY = "ABSKQmVkcm9ja0FQSUtleS1mYWtlLWtleQ==";
export const ENTRA = { tenant: "contoso-tenant", clientId: "mindgw-app", clientSecret: "entra-secret" };
/**
 * Seconds the fake's tokens and temporary credentials live: none, so they are expired when they
 * arrive and every call fetches fresh ones, exercising the fetch (one that lives a second would be
 * used for the first half of it, as a short-lived token is: providers/credentials/cached-credential.ts).
 */
export const TOKEN_LIFETIME = 0;
const WEB_IDENTITY_TOKEN = "eyJ.fake-web-identity.token";
const CLIENT_EMAIL = "mindgw@project-1.iam.gserviceaccount.com";

/** Bedrock's refusal of a prompt too long for the model: a 400 ValidationException. */
export const INPUT_TOO_LONG: CloudFailure = {
  status: 400,
  type: "ValidationException",
  message: "Input is too long for requested model.",
};

export const WEATHER = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

/** What Claude Code 2.1.328 sends in `anthropic-beta` on every request (its recorded request). */
export const CLAUDE_CODE_BETAS = String(
  (jsonFixture("clients/claude-code-2.1.328-default.json").headers as Record<string, string>)[
    "anthropic-beta"
  ],
).split(",");

/** A model of each cloud route type, chat routes all. */
export const MODELS = [
  "azure-4o",
  "azure-v1",
  "claude-bedrock",
  "nova",
  "gemini-flash",
  "vertex-flash",
] as const;
export const VENDOR: Record<(typeof MODELS)[number], string> = {
  "azure-4o": "azure",
  "azure-v1": "azure",
  "claude-bedrock": "bedrock",
  nova: "bedrock",
  "gemini-flash": "gemini",
  "vertex-flash": "vertex",
};

/** What a cloud test file reads, filled in before its first test runs. */
export interface CloudGateway {
  readonly cloud: FakeCloud;
  /** The upstream serving OpenAI's Responses API, answering what a test queued. */
  readonly native: CannedUpstream;
  readonly gw: GatewayProcess;
  readonly openai: OpenAI;
  readonly anthropic: Anthropic;
  /** The last call a model was asked (not a token, STS or credentials fetch). */
  lastModelCall(): CloudRequest | undefined;
  callsTo(pattern: RegExp): CloudRequest[];
  /** A further gateway for the running test only (the fixture's `spawn`), stopped after it. */
  spawn(options?: SpawnOptions): Promise<GatewayProcess>;
}

/**
 * The gateway in front of the fake clouds for a whole test file (`gatewayFixture`), its routes to
 * every cloud type, and the two SDKs' clients of it.
 */
export function cloudGateway(): CloudGateway {
  let native: CannedUpstream | undefined;
  let privateKeyPem = "";
  let clients: { openai: OpenAI; anthropic: Anthropic } | undefined;
  const before = (what: string): never => {
    throw new Error(`the cloud gateway's ${what} is used before beforeAll ran`);
  };
  const fx = gatewayFixture<FakeCloud>({
    fake: async () => {
      const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
      privateKeyPem = await exportPKCS8(privateKey);
      return startFakeCloud({
        azureKey: "azure-static-key",
        entra: ENTRA,
        aws: AWS,
        webIdentityToken: WEB_IDENTITY_TOKEN,
        containerToken: "container-auth",
        geminiKey: "gemini-key",
        bedrockApiKey: BEDROCK_API_KEY,
        google: { clientEmail: CLIENT_EMAIL, publicKeyPem: await exportSPKI(publicKey) },
        tokenLifetime: TOKEN_LIFETIME,
      });
    },
    env: async ({ dir, fake: cloud }) => {
      const tokenFile = `${dir}/web-identity-token`;
      await Bun.write(tokenFile, WEB_IDENTITY_TOKEN);
      return {
        AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
        AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/mindgw",
        AWS_ENDPOINT_URL_STS: `${cloud.url}/sts`,
      };
    },
    fakeRoutes: false,
    config: (_cloudUrl, { fake: cloud, own }) => {
      const responses = own(startCannedUpstream());
      native = responses;
      const serviceAccount = JSON.stringify({
        type: "service_account",
        client_email: CLIENT_EMAIL,
        private_key: privateKeyPem,
        private_key_id: "key-1",
        token_uri: `${cloud.url}/google/token`,
      });
      return {
        providers: [
          {
            name: "az",
            type: "azure",
            base_url: cloud.url,
            api_key: "azure-static-key",
            api_version: "2024-10-21",
          },
          // A dated API version before 2024-09-01-preview: no stream_options, no max_completion_tokens.
          {
            name: "az-2024-06",
            type: "azure",
            base_url: cloud.url,
            api_key: "azure-static-key",
            api_version: "2024-06-01",
          },
          // The base as Azure's v1 docs give it the OpenAI SDK: its /openai/v1/ not doubled.
          {
            name: "az-sdk-base",
            type: "azure",
            base_url: `${cloud.url}/openai/v1/`,
            api_key: "azure-static-key",
            api_version: "v1",
          },
          // The v1 API's preview (Azure's `?api-version=preview` on the v1 paths).
          {
            name: "az-preview",
            type: "azure",
            base_url: cloud.url,
            api_key: "azure-static-key",
            api_version: "preview",
          },
          {
            name: "az-entra",
            type: "azure",
            base_url: cloud.url,
            api_version: "v1",
            entra: {
              tenant_id: ENTRA.tenant,
              client_id: ENTRA.clientId,
              client_secret: ENTRA.clientSecret,
              authority_host: cloud.url,
            },
          },
          {
            name: "br",
            type: "bedrock",
            region: AWS.region,
            base_url: cloud.url,
            aws: { access_key_id: AWS.accessKeyId, secret_access_key: AWS.secretAccessKey },
          },
          { name: "br-web", type: "bedrock", region: AWS.region, base_url: cloud.url },
          {
            name: "br-claude",
            type: "bedrock",
            publisher: "anthropic",
            region: AWS.region,
            base_url: cloud.url,
            aws: { access_key_id: AWS.accessKeyId, secret_access_key: AWS.secretAccessKey },
          },
          { name: "gm", type: "gemini", base_url: `${cloud.url}/v1beta`, api_key: "gemini-key" },
          // OpenAI's Responses API, served upstream itself (a native route).
          {
            name: "oa",
            type: "openai",
            base_url: `${responses.url}/v1`,
            api_key: "sk-oa",
            responses_api: true,
          },
          { name: "gm-stale", type: "gemini", base_url: `${cloud.url}/v1beta`, api_key: "revoked-key" },
          {
            name: "vx-claude",
            type: "vertex",
            publisher: "anthropic",
            project: "project-1",
            location: "us-east5",
            base_url: cloud.url,
            service_account: serviceAccount,
          },
          {
            name: "vx",
            type: "vertex",
            project: "project-1",
            location: "us-central1",
            base_url: cloud.url,
            service_account: serviceAccount,
          },
        ],
        models: [
          { name: "azure-4o", routes: [{ provider: "az", model: "gpt4o-deployment" }] },
          { name: "azure-v1", routes: [{ provider: "az-entra", model: "gpt-4o-mini" }] },
          { name: "azure-2024-06", routes: [{ provider: "az-2024-06", model: "gpt4o-deployment" }] },
          { name: "azure-sdk-base", routes: [{ provider: "az-sdk-base", model: "gpt-4o-mini" }] },
          { name: "azure-preview", routes: [{ provider: "az-preview", model: "gpt-4o-mini" }] },
          {
            name: "claude-bedrock",
            routes: [{ provider: "br", model: "anthropic.claude-3-5-sonnet-20240620-v1:0" }],
          },
          { name: "nova", routes: [{ provider: "br-web", model: "amazon.nova-lite-v1:0" }] },
          // A model Converse serves without system prompts (its supported-features table).
          { name: "titan-text", routes: [{ provider: "br", model: "amazon.titan-text-express-v1" }] },
          { name: "gemini-flash", routes: [{ provider: "gm", model: "gemini-2.5-flash" }] },
          // A model without thinking, which refuses any thinking config.
          { name: "vertex-2.0-flash", routes: [{ provider: "vx", model: "gemini-2.0-flash" }] },
          { name: "gemini-3-flash", routes: [{ provider: "gm", model: "gemini-3-flash-preview" }] },
          { name: "gemini-3-pro", routes: [{ provider: "vx", model: "gemini-3-pro-preview" }] },
          { name: "gemini-3.8-flash", routes: [{ provider: "gm", model: "gemini-3.8-flash" }] },
          // 2.5 Flash-Lite thinks only when a budget turns it on; 2.5 Flash Image does not think.
          { name: "vertex-flash-lite", routes: [{ provider: "vx", model: "gemini-2.5-flash-lite" }] },
          { name: "gemini-flash-image", routes: [{ provider: "gm", model: "gemini-2.5-flash-image" }] },
          { name: "native-responses", routes: [{ provider: "oa", model: "gpt-5" }] },
          { name: "vertex-flash", routes: [{ provider: "vx", model: "gemini-2.5-flash" }] },
          { name: "gemini-stale-key", routes: [{ provider: "gm-stale", model: "gemini-2.5-flash" }] },
          {
            name: "stale-gemini-then-azure",
            routes: [
              { provider: "gm-stale", model: "gemini-2.5-flash" },
              { provider: "az", model: "gpt4o-deployment" },
            ],
          },
          {
            name: "gemini-then-azure",
            routes: [
              { provider: "gm", model: "gemini-2.5-flash" },
              { provider: "az", model: "gpt4o-deployment" },
            ],
          },
          {
            name: "azure-then-gemini",
            routes: [
              { provider: "az", model: "gpt4o-deployment" },
              { provider: "gm", model: "gemini-2.5-flash" },
            ],
          },
          {
            name: "bedrock-then-gemini",
            routes: [
              { provider: "br", model: "anthropic.claude-3-5-sonnet-20240620-v1:0" },
              { provider: "gm", model: "gemini-2.5-flash" },
            ],
          },
          {
            name: "long-context",
            fallback_on: ["context_length"],
            routes: [
              { provider: "br", model: "anthropic.claude-3-5-sonnet-20240620-v1:0" },
              { provider: "gm", model: "gemini-2.5-flash" },
            ],
          },
          {
            name: "claude-on-bedrock",
            routes: [{ provider: "br-claude", model: "anthropic.claude-sonnet-4-5-20250929-v1:0" }],
          },
          { name: "claude-vertex", routes: [{ provider: "vx-claude", model: "claude-sonnet-4-5@20250929" }] },
          {
            name: "claude-vertex-shadowed",
            routes: [{ provider: "vx-claude", model: "claude-sonnet-4-5@20250929" }],
            shadow: { provider: "vx-claude", model: "claude-haiku-4-5@20251001", sample: 1 },
          },
          { name: "titan-embed", routes: [{ provider: "br", model: "amazon.titan-embed-text-v2:0" }] },
          { name: "cohere-embed", routes: [{ provider: "br", model: "cohere.embed-english-v3" }] },
          { name: "cohere-v4-embed", routes: [{ provider: "br", model: "us.cohere.embed-v4:0" }] },
          { name: "gemini-embed", routes: [{ provider: "gm", model: "gemini-embedding-001" }] },
          { name: "vertex-embed", routes: [{ provider: "vx", model: "text-embedding-005" }] },
          { name: "vertex-gemini-embed", routes: [{ provider: "vx", model: "gemini-embedding-001" }] },
          {
            name: "tight",
            routes: [
              { provider: "br", model: "amazon.nova-micro-v1:0", context_window: 50 },
              { provider: "gm", model: "gemini-2.5-flash" },
            ],
          },
        ],
        // Many refusals of a route in a row here (401, 403, 404 count towards its breaker), and none
        // may take it out for the tests after.
        routing: { retries: 0, circuit_breaker: { failures: 1000 } },
      };
    },
  });

  beforeAll(() => {
    const { gw } = fx;
    if (!gw.adminKey) throw new Error("no bootstrap admin key printed");
    clients = {
      openai: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey, maxRetries: 0 }),
      anthropic: new Anthropic({ baseURL: gw.url, apiKey: gw.adminKey, maxRetries: 0 }),
    };
  });

  const cloud = () => fx.fake;
  return {
    get cloud() {
      return cloud();
    },
    get native() {
      return native ?? before("Responses upstream");
    },
    get gw() {
      return fx.gw;
    },
    get openai() {
      return (clients ?? before("OpenAI client")).openai;
    },
    get anthropic() {
      return (clients ?? before("Anthropic client")).anthropic;
    },
    lastModelCall: () => cloud().requests.findLast((r) => !/token|sts|credentials/.test(r.path)),
    callsTo: (pattern) => cloud().requests.filter((r) => pattern.test(r.path)),
    spawn: (options) => fx.spawn(options),
  };
}
