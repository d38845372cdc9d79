import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorText } from "../../audit/redact-body.ts";
import { forCallers } from "../../core/for-callers.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { fakeSts } from "../../testing/fake-sts.ts";
import { awsCredentialSource } from "./aws-credentials.ts";

/**
 * What signs or proves a request to STS is held for redaction before STS is asked: an STS that
 * refuses a role quoting what it was sent (the signing secret it looked up by the access key id,
 * the `x-amz-security-token`, the web identity token), as a signature mismatch's canonical request
 * would, reaches neither the caller's words nor a log line with them. So is the container
 * credentials endpoint's authorization token, before the endpoint is asked.
 */
const STS_REFUSAL = "The request signature we calculated does not match. Canonical request: ";
const CONTAINER_REFUSAL = "This authorization token is not valid:";
const secrets = new Map<string, string>();
let issued = 0;
// fake-sts.ts's server and config files, answering as this STS, which grants a role or refuses it
// quoting what it was sent, rather than as fake-sts.ts's, which checks signatures.
const sts = fakeSts(async (req) => {
  // The container credentials endpoint, refusing the token it was sent and quoting it.
  if (new URL(req.url).pathname === "/container")
    return Response.json(
      {
        error: "invalid_token",
        error_description: `${CONTAINER_REFUSAL} ${req.headers.get("authorization")}`,
      },
      { status: 403 },
    );
  const form = Object.fromEntries(new URLSearchParams(await req.text()));
  if (!form.RoleArn?.includes("refused")) {
    // A role granted: an intermediate session, for the next role of a chain.
    issued += 1;
    const id = `ASIAMID${issued}`;
    secrets.set(id, `mid-secret-${issued}-${crypto.randomUUID()}`);
    const token = `mid-session-${issued}-${crypto.randomUUID()}`;
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    return new Response(
      `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>${id}</AccessKeyId><SecretAccessKey>${secrets.get(id)}</SecretAccessKey><SessionToken>${token}</SessionToken><Expiration>${expiration}</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`,
    );
  }
  const keyId = /Credential=([^/]+)\//.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
  const quoted = [secrets.get(keyId), req.headers.get("x-amz-security-token"), form.WebIdentityToken].filter(
    (value): value is string => typeof value === "string",
  );
  return Response.json(
    {
      error: "SignatureDoesNotMatch",
      error_description: `The request signature we calculated does not match. Canonical request: ${quoted.join(" ")}`,
    },
    { status: 403 },
  );
});
const { dir, filesEnv } = sts;

/** A secret of its own for each test: one held by an earlier test would prove nothing. */
const fresh = (what: string) => `${what}-${crypto.randomUUID()}`;

/** The refusal's words as the caller is told them and as a log line writes them. */
async function refusalTexts(env: Record<string, string>, quoting = STS_REFUSAL): Promise<string[]> {
  // The container endpoint's tries again (container-credentials.ts) taken at once, not a second apart.
  const pause = async () => {};
  const error = await awsCredentialSource({ provider: "br", region: "us-east-1", config: {}, env, pause })
    .get()
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GatewayError);
  const { message, detail } = error as GatewayError;
  // The fake did quote them: the test would prove nothing otherwise.
  expect(detail).toStartWith(quoting);
  return [forCallers(message), forCallers(detail ?? ""), errorText(`${message}: ${detail}`, true)];
}

const quotesNone = (texts: string[], values: string[]) => {
  for (const text of texts) for (const value of values) expect(text).not.toContain(value);
};

test("a source profile's static keys and session token", async () => {
  const secret = fresh("src-secret");
  const token = fresh("src-session");
  secrets.set("AKIASRC1", secret);
  const env = filesEnv(
    `[profile src]\naws_access_key_id = AKIASRC1\naws_secret_access_key = ${secret}\naws_session_token = ${token}\n[profile app]\nrole_arn = arn:aws:iam::1:role/refused\nsource_profile = src\n`,
    { AWS_PROFILE: "app" },
  );
  const texts = await refusalTexts(env);
  expect(texts[1]).toContain("[redacted]");
  quotesNone(texts, [secret, token]);
});

test("credential_source Environment, with a session token", async () => {
  const secret = fresh("env-secret");
  const token = fresh("env-session");
  secrets.set("AKIAENV1", secret);
  const env = filesEnv(
    "[profile ci]\nrole_arn = arn:aws:iam::1:role/refused\ncredential_source = Environment\n",
    {
      AWS_PROFILE: "ci",
      AWS_ACCESS_KEY_ID: "AKIAENV1",
      AWS_SECRET_ACCESS_KEY: secret,
      AWS_SESSION_TOKEN: token,
    },
  );
  quotesNone(await refusalTexts(env), [secret, token]);
});

test("a chained role's intermediate session", async () => {
  const secret = fresh("chain-secret");
  secrets.set("AKIACHAIN1", secret);
  const env = filesEnv(
    `[profile src]\naws_access_key_id = AKIACHAIN1\naws_secret_access_key = ${secret}\n[profile mid]\nrole_arn = arn:aws:iam::1:role/mid\nsource_profile = src\n[profile app]\nrole_arn = arn:aws:iam::1:role/refused\nsource_profile = mid\n`,
    { AWS_PROFILE: "app" },
  );
  const texts = await refusalTexts(env);
  const mid = `ASIAMID${issued}`;
  const midSecret = secrets.get(mid) ?? "";
  expect(midSecret).toStartWith(`mid-secret-${issued}-`);
  quotesNone(texts, [secret, midSecret, "mid-session-"]);
});

test("a web identity token, of a profile's file and of the environment's", async () => {
  const profileToken = fresh("oidc-profile");
  const profileFile = join(dir, "profile-token");
  writeFileSync(profileFile, `${profileToken}\n`);
  const profileEnv = filesEnv(
    `[profile eks]\nrole_arn = arn:aws:iam::1:role/refused\nweb_identity_token_file = ${profileFile}\n`,
    { AWS_PROFILE: "eks" },
  );
  quotesNone(await refusalTexts(profileEnv), [profileToken]);

  const envToken = fresh("oidc-env");
  const envFile = join(dir, "env-token");
  writeFileSync(envFile, envToken);
  const env = filesEnv("[default]\nregion = us-east-1\n", {
    AWS_WEB_IDENTITY_TOKEN_FILE: envFile,
    AWS_ROLE_ARN: "arn:aws:iam::1:role/refused",
  });
  quotesNone(await refusalTexts(env), [envToken]);
});

test("the container credentials endpoint's authorization token, of the environment and of its file", async () => {
  const container = (more: Record<string, string>) =>
    filesEnv("[default]\nregion = us-east-1\n", {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${sts.port}/container`,
      ...more,
    });
  const envToken = fresh("pod-token-env");
  const texts = await refusalTexts(
    container({ AWS_CONTAINER_AUTHORIZATION_TOKEN: envToken }),
    CONTAINER_REFUSAL,
  );
  expect(texts[1]).toContain("[redacted]");
  quotesNone(texts, [envToken]);

  const fileToken = fresh("pod-token-file");
  const tokenFile = join(dir, "pod-identity-token");
  writeFileSync(tokenFile, `${fileToken}\n`);
  // The endpoint echoed what it was sent: "[redacted]" in its place shows the file's token was
  // sent and then held, not that none was sent.
  const fromFile = await refusalTexts(
    container({ AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile }),
    CONTAINER_REFUSAL,
  );
  expect(fromFile[1]).toContain("[redacted]");
  quotesNone(fromFile, [fileToken]);
});
