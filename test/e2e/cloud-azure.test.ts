import { beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { FakeCloud } from "../fake-cloud/fake-cloud.ts";
import { cloudGateway, ENTRA, WEATHER } from "./harness/cloud-gateway.ts";

// Azure OpenAI through the compiled binary and both official SDKs (harness/cloud-gateway.ts): what
// reaches each deployment (api-version, api-key or Entra ID, sovereign clouds, a base_url of v1's
// form), and API versions before 2024-09-01-preview, which know fewer fields.

const clouds = cloudGateway();
let cloud: FakeCloud;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(() => {
  ({ cloud, openai, anthropic } = clouds);
});
const { lastModelCall, callsTo } = clouds;

describe("what reaches Azure OpenAI", () => {
  test("azure: the route's model is the deployment, api-version in the query, api-key header", async () => {
    await openai.chat.completions.create({ model: "azure-4o", messages: [{ role: "user", content: "x" }] });
    const seen = lastModelCall();
    expect(seen?.path).toBe("/openai/deployments/gpt4o-deployment/chat/completions");
    expect(seen?.query).toBe("?api-version=2024-10-21");
    expect(seen?.headers["api-key"]).toBe("azure-static-key");
    expect(seen?.headers.authorization).toBeUndefined();
  });

  test("azure at an API version before 2024-09-01-preview: streams go without stream_options and bounds as max_tokens, which it refuses otherwise; its usage the gateway's estimate, from either SDK", async () => {
    const calls = () => callsTo(/\/deployments\/gpt4o-deployment\/chat\/completions$/);
    const before = calls().length;
    const texts: string[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    const stream = await openai.chat.completions.create({
      model: "azure-2024-06",
      messages: [{ role: "user", content: "x" }],
      max_completion_tokens: 50,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) {
      texts.push(chunk.choices[0]?.delta.content ?? "");
      if (chunk.usage) usage = chunk.usage;
    }
    expect(texts.join("")).toBe("Hello from azure. You said: x");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const message = await anthropic.messages
      .stream({ model: "azure-2024-06", max_tokens: 64, messages: [{ role: "user", content: "x" }] })
      .finalMessage();
    expect(message.content.map((block) => (block.type === "text" ? block.text : block.type))).toEqual([
      "Hello from azure. You said: x",
    ]);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    // Each sent once, in the words that version takes: no refusal to learn them from.
    const sent = calls()
      .slice(before)
      .map((call) => JSON.parse(call.body));
    expect(sent.map((body) => [body.stream_options, body.max_completion_tokens, body.max_tokens])).toEqual([
      [undefined, undefined, 50],
      [undefined, undefined, 64],
    ]);
  });

  test("azure at an API version before 2024-09-01-preview: parallel_tool_calls, which it does not know, is left out, named when it asked for one call at a time", async () => {
    const calls = () => callsTo(/\/deployments\/gpt4o-deployment\/chat\/completions$/);
    const before = calls().length;
    const ask = (parallel: boolean) =>
      openai.chat.completions
        .create({
          model: "azure-2024-06",
          messages: [{ role: "user", content: "use a tool" }],
          tools: [WEATHER],
          parallel_tool_calls: parallel,
        })
        .withResponse();
    const serial = await ask(false);
    expect(serial.data.choices[0]?.message.tool_calls?.[0]?.type).toBe("function");
    expect(serial.response.headers.get("x-mindgw-dropped")).toBe("parallel_tool_calls");
    const parallel = await ask(true);
    expect(parallel.response.headers.get("x-mindgw-dropped")).toBeNull();
    const sent = calls()
      .slice(before)
      .map((call) => JSON.parse(call.body));
    expect(sent.map((body) => "parallel_tool_calls" in body)).toEqual([false, false]);
  });

  test("azure v1 with Entra ID: a bearer token from the client credentials flow, refreshed when it expires", async () => {
    const before = cloud.issued.entra;
    await openai.chat.completions.create({ model: "azure-v1", messages: [{ role: "user", content: "x" }] });
    const first = lastModelCall()?.headers.authorization;
    await openai.chat.completions.create({ model: "azure-v1", messages: [{ role: "user", content: "x" }] });
    const second = lastModelCall();
    expect(second?.path).toBe("/openai/v1/chat/completions");
    expect(JSON.parse(second?.body ?? "{}").model).toBe("gpt-4o-mini");
    expect(first).toMatch(/^Bearer entra-token-\d+$/);
    expect(second?.headers.authorization).not.toBe(first);
    expect(cloud.issued.entra).toBe(before + 2);
  });

  test("azure in a sovereign cloud: Entra ID's US Government authority is asked for Azure Government's scope, which it issues tokens for", async () => {
    // A gateway of its own that reaches the authority by its name, login.microsoftonline.us,
    // through the fake cloud as its HTTP proxy; the fake's authority there refuses the commercial
    // cloud's scope (AADSTS500011), as each cloud's issues tokens for its own resources alone.
    const sovereign = await clouds.spawn({
      env: { HTTP_PROXY: cloud.url },
      config: {
        providers: [
          {
            name: "az-gov",
            type: "azure",
            base_url: cloud.url,
            api_version: "v1",
            entra: {
              tenant_id: ENTRA.tenant,
              client_id: ENTRA.clientId,
              client_secret: ENTRA.clientSecret,
              authority_host: "http://login.microsoftonline.us",
            },
          },
        ],
        models: [{ name: "azure-gov", routes: [{ provider: "az-gov", model: "gpt-4o-mini" }] }],
      },
    });
    try {
      const client = new OpenAI({
        baseURL: `${sovereign.url}/v1`,
        apiKey: sovereign.adminKey ?? "no bootstrap key",
        maxRetries: 0,
      });
      const reply = await client.chat.completions.create({
        model: "azure-gov",
        messages: [{ role: "user", content: "x" }],
      });
      expect(reply.choices[0]?.message.content).toBe("Hello from azure. You said: x");
      const grant = callsTo(/\/oauth2\/v2\.0\/token$/).at(-1);
      expect(grant?.headers.host).toBe("login.microsoftonline.us");
      expect(new URLSearchParams(grant?.body).get("scope")).toBe(
        "https://cognitiveservices.azure.us/.default",
      );
      expect(lastModelCall()?.headers.authorization).toMatch(/^Bearer entra-token-\d+$/);
    } finally {
      await sovereign.stop();
    }
  });

  test("azure: a base_url ending in /openai/v1/ (Azure's v1 docs' form for the OpenAI SDK) is not doubled", async () => {
    await openai.chat.completions.create({
      model: "azure-sdk-base",
      messages: [{ role: "user", content: "x" }],
    });
    expect(lastModelCall()?.path).toBe("/openai/v1/chat/completions");
  });

  test("azure api_version: preview (the v1 API's preview): OpenAI's path under /openai/v1 with ?api-version=preview, the deployment as the body's model", async () => {
    const reply = await openai.chat.completions.create({
      model: "azure-preview",
      messages: [{ role: "user", content: "x" }],
    });
    expect(reply.choices[0]?.message.content).toBe("Hello from azure. You said: x");
    const seen = lastModelCall();
    expect({ path: seen?.path, query: seen?.query }).toEqual({
      path: "/openai/v1/chat/completions",
      query: "?api-version=preview",
    });
    expect(JSON.parse(seen?.body ?? "{}").model).toBe("gpt-4o-mini");
  });
});
