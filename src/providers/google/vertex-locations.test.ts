import { afterAll, expect, test } from "bun:test";
import type { ProviderConfig } from "../../config/config-schema.ts";
import { providerCall } from "../../testing/provider-call.ts";
import { createProvider } from "../create-provider.ts";

// Which host a vertex provider with no base_url calls for its `location`, as Google's locations page
// names them (docs.cloud.google.com …/resources/locations): a region's own host, the global
// endpoint's, and the multi-region endpoints' (`us`, `eu`), whose hosts are no `{location}-` host.

const asked: string[] = [];
// The metadata server, on loopback, for the token; the model call goes to the injected fetch,
// which keeps the URL it was sent (the real host is never reached).
const metadata = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: () =>
    Response.json(
      { access_token: "ya29.locations", expires_in: 3599 },
      { headers: { "metadata-flavor": "Google" } },
    ),
});
afterAll(() => metadata.stop(true));

const gemini = (async (input: string | URL | Request) => {
  asked.push(String(input instanceof Request ? input.url : input));
  return Response.json({
    candidates: [{ content: { role: "model", parts: [{ text: "ok" }] }, finishReason: "STOP" }],
  });
}) as typeof fetch;

async function hostCalledFor(location: string): Promise<string> {
  const provider = createProvider(
    { name: "vx", type: "vertex", project: "acme", location } as ProviderConfig,
    {
      maxSseLine: 1 << 20,
      fetch: gemini,
      env: { GCE_METADATA_HOST: `127.0.0.1:${metadata.port}`, HOME: "/nonexistent" },
    },
  );
  asked.length = 0;
  await provider.call(
    providerCall({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }] }),
  );
  return asked[0] ?? "";
}

test.each([
  ["us-central1", "https://us-central1-aiplatform.googleapis.com"],
  ["global", "https://aiplatform.googleapis.com"],
  ["us", "https://aiplatform.us.rep.googleapis.com"],
  ["eu", "https://aiplatform.eu.rep.googleapis.com"],
])("vertex at location %s calls %s", async (location, host) => {
  expect(await hostCalledFor(location)).toBe(
    `${host}/v1/projects/acme/locations/${location}/publishers/google/models/gemini-2.5-flash:generateContent`,
  );
});
