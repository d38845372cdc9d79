import { afterAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import OpenAI from "openai";
import { AWS, cloudGateway } from "./harness/cloud-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";

// An `aws login` profile through the compiled binary: the session cached by `aws login` near its
// expiry is refreshed at the fake AWS Sign-In (which checks the DPoP proof: src/testing/
// fake-sign-in.ts), and Bedrock's call is signed with the keys it was refreshed to.

const clouds = cloudGateway();
const files = tempDir("mindgw-aws-login-");
afterAll(() => files.cleanup());
const SESSION = "arn:aws:iam::123456789012:user/dev";

test("a Bedrock call signed with the keys an `aws login` session was refreshed to, the cache file rewritten", async () => {
  const { cloud } = clouds;
  const config = files.file("aws-config");
  writeFileSync(config, `[profile dev]\nlogin_session = ${SESSION}\n`);
  const env = {
    AWS_CONFIG_FILE: config,
    AWS_PROFILE: "dev",
    AWS_LOGIN_CACHE_DIRECTORY: files.file("login-cache"),
    AWS_ENDPOINT_URL_SIGNIN: `${cloud.url}/signin`,
  };
  // Two minutes left: within the SDKs' five, so refreshed before the first call.
  const path = await cloud.signIn.session(SESSION, env, { expiresInMs: 2 * 60_000 });
  const gw = await clouds.spawn({
    env,
    config: {
      routing: { retries: 0 },
      providers: [{ name: "br", type: "bedrock", region: AWS.region, base_url: cloud.url }],
      models: [{ name: "nova", routes: [{ provider: "br", model: "amazon.nova-lite-v1:0" }] }],
    },
  });
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey ?? "", maxRetries: 0 });
  const answer = await client.chat.completions.create({
    model: "nova",
    messages: [{ role: "user", content: "x" }],
  });
  expect(answer.choices[0]?.message.role).toBe("assistant");
  expect(cloud.signIn.calls).toHaveLength(1);
  const refreshed = JSON.parse(readFileSync(path, "utf8")).accessToken;
  expect(refreshed.accessKeyId).toStartWith("ASIASIGNIN");
  const call = clouds.lastModelCall();
  expect(call?.headers.authorization).toContain(`Credential=${refreshed.accessKeyId}/`);
  expect(call?.headers["x-amz-security-token"]).toBe(refreshed.sessionToken);
});
