import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import OpenAI from "openai";
import { AWS, cloudGateway } from "./harness/cloud-gateway.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";

// The container credentials endpoint through the compiled binary, asked as the AWS SDK for
// JavaScript's chain asks it: fromHttp's four tries with the token file's token, then once more as
// fromContainerMetadata, with AWS_CONTAINER_AUTHORIZATION_TOKEN alone (container-credentials.ts).
// The fake's endpoint takes "container-auth" only.

const clouds = cloudGateway();
const files = tempDir("mindgw-aws-container-");
afterAll(() => files.cleanup());

/**
 * A gateway whose Bedrock keys come from the fake's container endpoint, sent `token` and the
 * file's; `query` goes on the endpoint's URI (`?without=…`: the fields its keys leave out).
 */
async function containerGateway(token: string, query = "") {
  const { cloud } = clouds;
  const tokenFile = files.file("pod-identity-token");
  writeFileSync(tokenFile, "a-stale-token\n");
  return clouds.spawn({
    env: {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${cloud.url}/container-credentials${query}`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
    },
    config: {
      routing: { retries: 0 },
      providers: [{ name: "br", type: "bedrock", region: AWS.region, base_url: cloud.url }],
      models: [{ name: "nova", routes: [{ provider: "br", model: "amazon.nova-lite-v1:0" }] }],
    },
  });
}

/** The OpenAI SDK's error for a chat call to `nova` through `gw`, which must fail. */
const failedChat = (gw: GatewayProcess) =>
  openaiFailure(
    new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey ?? "", maxRetries: 0 }).chat.completions.create(
      {
        model: "nova",
        messages: [{ role: "user", content: "x" }],
      },
    ),
  );

/** The authorization each container credentials request since `from` was sent. */
const containerAsks = (from: number) =>
  clouds
    .callsTo(/^\/container-credentials$/)
    .slice(from)
    .map((call) => call.headers.authorization);

test("fromHttp's four tries refused (the token file's token), the one more ask with AWS_CONTAINER_AUTHORIZATION_TOKEN gets the keys the call is signed with", async () => {
  const before = clouds.callsTo(/^\/container-credentials$/).length;
  const gw = await containerGateway("container-auth");
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey ?? "", maxRetries: 0 });
  const answer = await client.chat.completions.create({
    model: "nova",
    messages: [{ role: "user", content: "x" }],
  });
  // Before: a 502, fromHttp's fourth 403 the call's failure.
  expect(answer.choices[0]?.message.role).toBe("assistant");
  expect(containerAsks(before)).toEqual([
    "a-stale-token",
    "a-stale-token",
    "a-stale-token",
    "a-stale-token",
    "container-auth",
  ]);
  expect(clouds.lastModelCall()?.headers.authorization).toContain("Credential=ASIACONTAINER");
});

test("both refused: the caller's 502 names fromHttp's four tries and the one more ask", async () => {
  const before = clouds.callsTo(/^\/container-credentials$/).length;
  const gw = await containerGateway("also-wrong");
  const failure = await failedChat(gw);
  expect(failure.status).toBe(502);
  expect(failure.message).toContain(
    "could not get credentials for upstream br: the container credentials endpoint answered 403 (fromHttp's four tries), and asked once more (fromContainerMetadata's one): the container credentials endpoint answered 403",
  );
  expect(containerAsks(before)).toHaveLength(5);
});

test("keys without Expiration are refused as the AWS SDK for JavaScript refuses them: asked again as fromHttp and fromContainerMetadata ask, then the caller's 502 names what was missing", async () => {
  const before = clouds.callsTo(/^\/container-credentials$/).length;
  // The file's token refused four times, the fifth ask's keys lack Expiration.
  const gw = await containerGateway("container-auth", "?without=Expiration");
  // Before: a 200, the call signed with keys held an hour as if they said so.
  const failure = await failedChat(gw);
  expect(failure.status).toBe(502);
  expect(failure.message).toContain(
    "could not get credentials for upstream br: the container credentials endpoint answered 403 (fromHttp's four tries), and asked once more (fromContainerMetadata's one): the container credentials endpoint sent keys without Expiration, which the AWS SDKs refuse",
  );
  expect(containerAsks(before)).toHaveLength(5);
});
