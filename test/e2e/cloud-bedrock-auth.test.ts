import { beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { FakeCloud } from "../fake-cloud/fake-cloud.ts";
import { AWS, BEDROCK_API_KEY, cloudGateway } from "./harness/cloud-gateway.ts";

// Bedrock's authentication through the compiled binary (harness/cloud-gateway.ts): SigV4 recomputed
// by the fake, an Amazon Bedrock API key, STS web identity, and a host clock AWS finds off its own.

const clouds = cloudGateway();
let cloud: FakeCloud;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(() => {
  ({ cloud, openai, anthropic } = clouds);
});
const { lastModelCall, callsTo } = clouds;

describe("what reaches Bedrock", () => {
  test("bedrock: SigV4-signed Converse call to /model/{id}/converse, the model id encoded", async () => {
    await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "x" }],
    });
    const seen = lastModelCall();
    expect(seen?.path).toBe("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
    expect(seen?.headers.authorization).toStartWith(`AWS4-HMAC-SHA256 Credential=${AWS.accessKeyId}/`);
    expect(JSON.parse(seen?.body ?? "{}")).toEqual({
      messages: [{ role: "user", content: [{ text: "x" }] }],
    });
  });

  test("bedrock with an Amazon Bedrock API key (AWS_BEARER_TOKEN_BEDROCK): sent as the bearer, no signature, no credential chain asked; a provider with its own aws: keys signs with them", async () => {
    const keyed = await clouds.spawn({
      env: { AWS_BEARER_TOKEN_BEDROCK: BEDROCK_API_KEY },
      config: {
        providers: [
          { name: "br-key", type: "bedrock", region: AWS.region, base_url: cloud.url },
          {
            name: "br-signed",
            type: "bedrock",
            region: AWS.region,
            base_url: cloud.url,
            aws: { access_key_id: AWS.accessKeyId, secret_access_key: AWS.secretAccessKey },
          },
        ],
        models: [
          { name: "nova-key", routes: [{ provider: "br-key", model: "amazon.nova-lite-v1:0" }] },
          { name: "nova-signed", routes: [{ provider: "br-signed", model: "amazon.nova-lite-v1:0" }] },
        ],
      },
    });
    const issued = { ...cloud.issued };
    const before = callsTo(/\/converse(-stream)?$/).length;
    const client = new OpenAI({ baseURL: `${keyed.url}/v1`, apiKey: keyed.adminKey ?? "", maxRetries: 0 });
    const reply = await client.chat.completions.create({
      model: "nova-key",
      messages: [{ role: "user", content: "x" }],
    });
    expect(reply.choices[0]?.message.content).toBe("Hello from bedrock. You said: x");
    const streamed: string[] = [];
    const stream = await client.chat.completions.create({
      model: "nova-key",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    for await (const chunk of stream) streamed.push(chunk.choices[0]?.delta.content ?? "");
    expect(streamed.join("")).toBe("Hello from bedrock. You said: x");
    await client.chat.completions.create({
      model: "nova-signed",
      messages: [{ role: "user", content: "x" }],
    });
    const auth = callsTo(/\/converse(-stream)?$/)
      .slice(before)
      .map((call) => call.headers.authorization ?? "");
    expect(auth.slice(0, 2)).toEqual([`Bearer ${BEDROCK_API_KEY}`, `Bearer ${BEDROCK_API_KEY}`]);
    expect(auth[2]).toStartWith(`AWS4-HMAC-SHA256 Credential=${AWS.accessKeyId}/`);
    // No STS, container or instance metadata asked for credentials the key stands in for.
    expect(cloud.issued).toEqual(issued);
  });

  test("bedrock with a web identity: temporary keys from STS, with their session token", async () => {
    const before = cloud.issued.sts;
    await openai.chat.completions.create({ model: "nova", messages: [{ role: "user", content: "x" }] });
    const seen = lastModelCall();
    expect(cloud.issued.sts).toBeGreaterThan(before);
    expect(seen?.headers.authorization).toContain("Credential=ASIASTS");
    expect(seen?.headers["x-amz-security-token"]).toMatch(/^session-sts-\d+$/);
  });
});

describe("a host clock off AWS's", () => {
  const ask = (model: string) =>
    openai.chat.completions.create({ model, messages: [{ role: "user", content: "x" }] });

  test("a host clock AWS finds more than 15 minutes off its own: the call signed again by AWS's clock (its Date), as the AWS SDKs correct a skew, the next ones signed so at once", async () => {
    const converse = () => callsTo(/\/converse$/).length;
    const before = converse();
    cloud.setClockOffset(20 * 60_000);
    try {
      const chat = await ask("claude-bedrock");
      expect(chat.choices[0]?.message.content).toBe("Hello from bedrock. You said: x");
      const message = await anthropic.messages.create({
        model: "claude-bedrock",
        max_tokens: 32,
        messages: [{ role: "user", content: "x" }],
      });
      expect(message.content.map((block) => (block.type === "text" ? block.text : block.type))).toEqual([
        "Hello from bedrock. You said: x",
      ]);
      // One refused, then each signed by AWS's clock.
      expect(converse() - before).toBe(3);
    } finally {
      cloud.setClockOffset(0);
    }
    // AWS's clock back beside the host's: the gateway's correction is corrected in turn.
    expect((await ask("claude-bedrock")).choices[0]?.message.content).toBe("Hello from bedrock. You said: x");
    expect(converse() - before).toBe(5);
  });
});
