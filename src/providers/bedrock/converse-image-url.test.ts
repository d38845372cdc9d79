import { expect, test } from "bun:test";
import { converseJson } from "../../../test/fake-cloud/bedrock-wire.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { ProviderConfig } from "../../config/config-schema.ts";
import type { JsonObject } from "../../core/dialect.ts";
import { type Authenticator, createGateway, parseConfig, silentLogger } from "../../index.ts";
import { claudeMessage } from "../../testing/answer-wire.ts";
import { jwtCaller } from "../../testing/jwt-caller.ts";
import { recordOf } from "../../testing/recording-gateway.ts";
import { createProvider } from "../create-provider.ts";

// Converse takes an image or a document only as its bytes (or an S3 object): one by URL, which
// Anthropic's API fetches, is the Converse route's refusal before anything is sent (`unsupported_modality`),
// so the model's next route is tried; with none, the caller's 400 names the part. The gateway
// never fetches the URL itself.

const anyone: Authenticator = async () => jwtCaller;

async function gateway(fallback: boolean) {
  const calls = { bedrock: 0, anthropic: 0 };
  const finished: AuditRecord[] = [];
  const routes = [{ provider: "br", model: "us.anthropic.claude-sonnet-4-5-v1:0" }];
  if (fallback) routes.push({ provider: "a", model: "claude-sonnet-4-5" });
  const fetchOf = (counted: keyof typeof calls, answer: () => Response) =>
    Object.assign(
      async () => {
        calls[counted]++;
        return answer();
      },
      { preconnect: () => {} },
    ) as typeof globalThis.fetch;
  const built = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [
        {
          name: "br",
          type: "bedrock",
          region: "us-east-1",
          base_url: "https://bedrock.test",
          aws: { access_key_id: "AKIATEST", secret_access_key: "secret" },
        },
        { name: "a", type: "anthropic", api_key: "k", base_url: "http://anthropic.test" },
      ],
      models: [{ name: "m", routes }],
      routing: { retries: 0 },
    }),
    auth: anyone,
    logger: silentLogger,
    events: [{ publish: (event) => event.type === "request.finished" && finished.push(event.record) }],
    providers: (config, context) =>
      createProvider(config as ProviderConfig, {
        ...context,
        env: {},
        fetch:
          config.name === "br"
            ? fetchOf("bedrock", () =>
                Response.json(converseJson({ text: "A cat.", inputTokens: 5, outputTokens: 2 })),
              )
            : fetchOf("anthropic", () => Response.json(claudeMessage("claude-sonnet-4-5-20250929"))),
      }),
  });
  return { gateway: built, calls, finished };
}

const askWith = (part: JsonObject) =>
  new Request("http://gw/v1/chat/completions", {
    method: "POST",
    headers: { authorization: "Bearer t", "content-type": "application/json" },
    body: JSON.stringify({
      model: "m",
      messages: [{ role: "user", content: [part, { type: "text", text: "What is this?" }] }],
    } satisfies JsonObject),
  });

const ask = (url: string) => askWith({ type: "image_url", image_url: { url } });

/** A PDF by URL (`file_url`), which Anthropic's API fetches as a document's `url` source. */
const askFile = () =>
  askWith({ type: "file", file: { filename: "report.pdf", file_url: "https://example.com/report.pdf" } });

test("an image by URL: the Converse route is passed over unsent, the next route answers", async () => {
  const { gateway: gw, calls } = await gateway(true);
  try {
    const response = await gw.handle(ask("https://example.com/cat.png"));
    expect([response.status, calls]).toEqual([200, { bedrock: 0, anthropic: 1 }]);
  } finally {
    await gw.stop();
  }
});

test("with no other route: the caller's 400, unsupported_modality, naming the part; as data it goes to Converse", async () => {
  const { gateway: gw, calls } = await gateway(false);
  try {
    const refused = await gw.handle(ask("https://example.com/cat.png"));
    const error = ((await refused.json()) as { error: { code: string; param: string } }).error;
    expect([refused.status, error.code, error.param]).toEqual([
      400,
      "unsupported_modality",
      "messages.0.content.0",
    ]);
    expect(calls.bedrock).toBe(0);
    const sent = await gw.handle(ask("data:image/png;base64,iVBORw0KGgo="));
    expect([sent.status, calls.bedrock]).toEqual([200, 1]);
  } finally {
    await gw.stop();
  }
});

test("a file by URL (file_url): the Converse route is passed over unsent, the next route answers", async () => {
  const { gateway: gw, calls } = await gateway(true);
  try {
    const response = await gw.handle(askFile());
    expect([response.status, calls]).toEqual([200, { bedrock: 0, anthropic: 1 }]);
  } finally {
    await gw.stop();
  }
});

test("a file by URL with no other route: the caller's 400, unsupported_modality, naming the part", async () => {
  const { gateway: gw, calls } = await gateway(false);
  try {
    const refused = await gw.handle(askFile());
    const error = ((await refused.json()) as { error: { code: string; param: string; message: string } })
      .error;
    expect([refused.status, error.code, error.param]).toEqual([
      400,
      "unsupported_modality",
      "messages.0.content.0",
    ]);
    expect(error.message).toContain("a file by URL");
    expect(calls.bedrock).toBe(0);
  } finally {
    await gw.stop();
  }
});

// Refused as the call is adapted, as toward Claude's Messages API: no attempt opened on the Converse
// route, so none in the audit row, none counted failed and no failover.
test("an image or a file by URL: no attempt on the Converse route, the next route's alone", async () => {
  const { gateway: gw, finished } = await gateway(true);
  try {
    for (const request of [ask("https://example.com/cat.png"), askFile()]) {
      const { attempts } = await recordOf(finished, await gw.handle(request));
      expect(attempts?.map(({ route, outcome }) => ({ route, outcome }))).toEqual([
        { route: "provider:a", outcome: "ok" },
      ]);
    }
  } finally {
    await gw.stop();
  }
});

// A Messages caller's image by URL reaches Converse as a chat part, its path shifted by `system`:
// the refusal names the caller's block.
test("a Messages caller's image by URL: the 400 names its own block", async () => {
  const { gateway: gw, calls } = await gateway(false);
  try {
    const refused = await gw.handle(
      new Request("http://gw/v1/messages", {
        method: "POST",
        headers: { authorization: "Bearer t", "content-type": "application/json" },
        body: JSON.stringify({
          model: "m",
          max_tokens: 64,
          system: "Be brief.",
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: "What is this?" },
                { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
              ],
            },
          ],
        }),
      }),
    );
    const { error } = (await refused.json()) as { error: { type: string; message: string } };
    expect([refused.status, error.type, calls.bedrock]).toEqual([400, "invalid_request_error", 0]);
    expect(error.message).toContain("messages.0.content.1");
  } finally {
    await gw.stop();
  }
});
