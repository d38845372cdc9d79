import { afterAll, beforeEach, expect, test } from "bun:test";
import { parseConfig } from "../../config/load-config.ts";
import { providerCall } from "../../testing/provider-call.ts";
import { missingCredentials } from "../missing-credentials.ts";
import { createAzureProvider } from "./azure-provider.ts";

/**
 * An `azure` provider with no `api_key` and no `entra`, authenticated by its own `headers:` (an
 * `api-key`, an `Authorization`, APIM's `Ocp-Apim-Subscription-Key`): its calls go with those
 * headers, and Azure IMDS, which no variable announces, is never asked.
 */
let imdsAsked = 0;
const fake = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/metadata/identity/oauth2/token") {
      imdsAsked += 1;
      return Response.json({
        access_token: "imds-token",
        expires_on: String(2_000_000_000),
        token_type: "Bearer",
      });
    }
    const { headers } = request;
    return Response.json({
      id: "c",
      object: "chat.completion",
      model: "gpt-4o",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: JSON.stringify({
              "api-key": headers.get("api-key"),
              authorization: headers.get("authorization"),
              "ocp-apim-subscription-key": headers.get("ocp-apim-subscription-key"),
            }),
          },
          finish_reason: "stop",
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
  },
});
const origin = `http://127.0.0.1:${fake.port}`;
afterAll(() => fake.stop(true));
beforeEach(() => {
  imdsAsked = 0;
});

const chat = providerCall({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });

/** The auth headers the fake Azure OpenAI was sent, with `headers` configured and IMDS at the fake. */
async function sent(headers: Record<string, string>): Promise<Record<string, string | null>> {
  const provider = createAzureProvider({
    name: "az",
    baseUrl: origin,
    apiVersion: "v1",
    headers,
    env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin },
  });
  const reply = await provider.call(chat);
  if (reply.kind !== "json") throw new Error(`a ${reply.kind} reply`);
  const content = (reply.body as { choices: { message: { content: string } }[] }).choices[0]?.message.content;
  return JSON.parse(content ?? "{}") as Record<string, string | null>;
}

test("a provider's own auth header is sent as configured, and IMDS is not asked", async () => {
  expect(await sent({ "api-key": "header-key-1" })).toEqual({
    "api-key": "header-key-1",
    authorization: null,
    "ocp-apim-subscription-key": null,
  });
  expect(await sent({ Authorization: "Bearer own-token-1" })).toEqual({
    "api-key": null,
    authorization: "Bearer own-token-1",
    "ocp-apim-subscription-key": null,
  });
  expect(await sent({ "Ocp-Apim-Subscription-Key": "apim-sub-1" })).toEqual({
    "api-key": null,
    authorization: null,
    "ocp-apim-subscription-key": "apim-sub-1",
  });
  expect(imdsAsked).toBe(0);
});

test("headers that authenticate nothing leave IMDS asked, as DefaultAzureCredential ends its chain", async () => {
  expect((await sent({ "x-trace": "t" })).authorization).toBe("Bearer imds-token");
  expect(imdsAsked).toBe(1);
});

test("such a provider is not warned of as having no credentials", () => {
  const provider = (name: string, headers: Record<string, string>) => ({
    name,
    type: "azure",
    base_url: "https://r.openai.azure.com",
    api_version: "v1",
    headers,
  });
  const config = parseConfig(
    {
      providers: [provider("apim", { "Ocp-Apim-Subscription-Key": "apim-sub-1" }), provider("bare", {})],
      models: [{ name: "m", allow_unpriced: true, routes: [{ provider: "apim", model: "x" }] }],
    },
    {},
  );
  expect(missingCredentials(config, {}).map((found) => found.provider)).toEqual(["bare"]);
});
