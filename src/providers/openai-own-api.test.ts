import { expect, test } from "bun:test";
import type { ProviderConfig } from "../config/config-schema.ts";
import { createProvider } from "./create-provider.ts";

// A provider of type openai on OpenAI's own API (its default URL, api.openai.com, or a regional host
// of data residency) serves the Responses API and takes 4 stop sequences; another server that speaks
// OpenAI's API is assumed to do neither.
const traits = (baseUrl: string) => {
  const config = { name: "p", type: "openai", api_key: "k", ...(baseUrl ? { base_url: baseUrl } : {}) };
  const { responsesApi, maxStops } = createProvider(config as ProviderConfig, { maxSseLine: 1 << 20 });
  return { responsesApi: responsesApi === true, maxStops };
};

test.each([
  ["", true],
  ["https://api.openai.com/v1", true],
  ["https://eu.api.openai.com/v1", true],
  ["https://myapi.openai.com/v1", false],
  ["https://api.openai.com.example.net/v1", false],
  ["http://127.0.0.1:8000/v1", false],
])('base_url %p ("": none, the default) is OpenAI\'s own API: %p', (baseUrl, own) => {
  expect(traits(baseUrl)).toEqual(
    own ? { responsesApi: true, maxStops: 4 } : { responsesApi: false, maxStops: undefined },
  );
});
