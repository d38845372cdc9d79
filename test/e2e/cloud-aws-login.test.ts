import { afterAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import OpenAI from "openai";
import { readOnlyPath } from "../../src/testing/read-only-path.ts";
import { AWS, cloudGateway } from "./harness/cloud-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

// An `aws login` profile through the compiled binary: the session cached by `aws login` near its
// expiry is refreshed at the fake AWS Sign-In (which checks the DPoP proof: src/testing/
// fake-sign-in.ts), and Bedrock's call is signed with the keys it was refreshed to.

const clouds = cloudGateway();
const files = tempDir("mindgw-aws-login-");
afterAll(() => files.cleanup());
const SESSION = "arn:aws:iam::123456789012:user/dev";

/** The environment of an `aws login` profile `dev` whose cache is in `folder`, Sign-In the fake's. */
function loginEnv(folder: string) {
  const config = files.file(`${folder}-config`);
  writeFileSync(config, `[profile dev]\nlogin_session = ${SESSION}\n`);
  return {
    AWS_CONFIG_FILE: config,
    AWS_PROFILE: "dev",
    AWS_LOGIN_CACHE_DIRECTORY: files.file(folder),
    AWS_ENDPOINT_URL_SIGNIN: `${clouds.cloud.url}/signin`,
  };
}

/** A gateway whose Bedrock provider `br` (model `nova`) signs with the `aws login` session of `env`. */
const loginGateway = (env: Record<string, string>) =>
  clouds.spawn({
    env,
    config: {
      routing: { retries: 0 },
      providers: [{ name: "br", type: "bedrock", region: AWS.region, base_url: clouds.cloud.url }],
      models: [{ name: "nova", routes: [{ provider: "br", model: "amazon.nova-lite-v1:0" }] }],
    },
  });

test("a Bedrock call signed with the keys an `aws login` session was refreshed to, the cache file rewritten", async () => {
  const { cloud } = clouds;
  const env = loginEnv("login-cache");
  // Two minutes left: within the SDKs' five, so refreshed before the first call.
  const path = await cloud.signIn.session(SESSION, env, { expiresInMs: 2 * 60_000 });
  const gw = await loginGateway(env);
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

test("a login cache the gateway cannot write (a read-only ~/.aws): calls signed with the refreshed keys all the same, one warning in the log naming no secret", async () => {
  const { cloud } = clouds;
  const env = loginEnv("read-only-cache");
  const path = await cloud.signIn.session(SESSION, env, { expiresInMs: 0, refreshToken: "r-e2e-read-only" });
  const written = readFileSync(path, "utf8");
  const undo = readOnlyPath(dirname(path));
  try {
    const gw = await loginGateway(env);
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey ?? "", maxRetries: 0 });
    const ask = () =>
      client.chat.completions.create({ model: "nova", messages: [{ role: "user", content: "x" }] });
    // Before: a 502, `its refreshed \`aws login\` session could not be written to the login cache`.
    expect((await ask()).choices[0]?.message.role).toBe("assistant");
    expect((await ask()).choices[0]?.message.role).toBe("assistant");
    const refreshed = cloud.signIn.calls.filter((call) => call.body.refreshToken === "r-e2e-read-only");
    expect(refreshed).toHaveLength(1);
    expect(clouds.lastModelCall()?.headers.authorization).toContain("Credential=ASIASIGNIN");
    expect(readFileSync(path, "utf8")).toBe(written);
    const warning = /could not be written to the login cache: this process keeps it/g;
    await waitFor("the warning in the gateway's log", () => gw.stderr.match(warning));
    expect(gw.stderr.match(warning)).toHaveLength(1);
    expect(gw.stderr.all).not.toMatch(/refresh-\d+-|r-e2e-read-only/);
  } finally {
    undo();
  }
});
