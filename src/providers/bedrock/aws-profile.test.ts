import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GatewayError } from "../../core/gateway-error.ts";
import { type AwsCredentialConfig, awsCredentialSource } from "./aws-credentials.ts";
import { mergedProfiles } from "./aws-shared-files.ts";

// The shared files live in a temp dir, found through AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE.
const dir = mkdtempSync(join(tmpdir(), "mindgw-aws-profile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let written = 0;
/** An environment whose shared files hold `config` and `credentials`. */
function filesEnv(config: string, credentials = "", more: Record<string, string> = {}) {
  written += 1;
  const AWS_CONFIG_FILE = join(dir, `config-${written}`);
  const AWS_SHARED_CREDENTIALS_FILE = join(dir, `credentials-${written}`);
  writeFileSync(AWS_CONFIG_FILE, config);
  writeFileSync(AWS_SHARED_CREDENTIALS_FILE, credentials);
  return { AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_EC2_METADATA_DISABLED: "true", ...more };
}

const source = (env: Record<string, string>, config: AwsCredentialConfig = {}) =>
  awsCredentialSource({ provider: "br", region: "us-east-1", config, env });

const failure = async (env: Record<string, string>, config: AwsCredentialConfig = {}) => {
  const error = await source(env, config)
    .get()
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GatewayError);
  expect((error as GatewayError).status).toBe(502);
  return (error as GatewayError).message;
};

const ENV_KEYS = { AWS_ACCESS_KEY_ID: "ENV", AWS_SECRET_ACCESS_KEY: "e" };

describe("static keys from a profile of the shared files", () => {
  test("the default profile's keys, when the environment has none", async () => {
    const env = filesEnv(
      "[default]\nregion = eu-west-1\n",
      "[default]\naws_access_key_id = DEF\naws_secret_access_key = d\n",
    );
    expect(await source(env).get()).toEqual({ accessKeyId: "DEF", secretAccessKey: "d" });
  });

  test("environment keys before the default profile (the SDKs' order)", async () => {
    const env = filesEnv("", "[default]\naws_access_key_id = DEF\naws_secret_access_key = d\n", ENV_KEYS);
    expect(await source(env).get()).toEqual({ accessKeyId: "ENV", secretAccessKey: "e" });
  });

  test("AWS_PROFILE names the profile, and it wins over environment keys", async () => {
    const env = filesEnv(
      "[profile dev] # the team's\naws_access_key_id = DEV\naws_secret_access_key = v\naws_session_token = tok\n",
      "",
      { ...ENV_KEYS, AWS_PROFILE: "dev" },
    );
    expect(await source(env).get()).toEqual({
      accessKeyId: "DEV",
      secretAccessKey: "v",
      sessionToken: "tok",
    });
  });

  test("profile: in config wins over AWS_PROFILE; the credentials file's keys over the config file's", async () => {
    const env = filesEnv(
      "[profile prod]\naws_access_key_id = FROM-CONFIG\naws_secret_access_key = c\n[profile dev]\naws_access_key_id = DEV\naws_secret_access_key = v\n",
      "; keys\n[prod]\naws_access_key_id = FROM-CREDENTIALS\n",
      { AWS_PROFILE: "dev" },
    );
    expect(await source(env, { profile: "prod" }).get()).toEqual({
      accessKeyId: "FROM-CREDENTIALS",
      secretAccessKey: "c",
    });
  });

  test("a profile named but in neither file is the source still: a 502 naming it and the files, their paths (a home directory names its user) for the log alone", async () => {
    const env = filesEnv("[profile dev]\nregion = us-east-1\n", "", { ...ENV_KEYS, AWS_PROFILE: "ops" });
    const paths = `${env.AWS_CONFIG_FILE} or ${env.AWS_SHARED_CREDENTIALS_FILE}`;
    const refusal = async (config: AwsCredentialConfig = {}) => {
      const error = (await source(env, config)
        .get()
        .catch((e: unknown) => e)) as GatewayError;
      return [error.status, error.message, error.detail];
    };
    expect(await refusal()).toEqual([
      502,
      "could not get credentials for upstream br: no AWS profile ops in the AWS config or credentials file",
      paths,
    ]);
    expect(await refusal({ profile: "dev" })).toEqual([
      502,
      "could not get credentials for upstream br: the AWS profile dev in the AWS config or credentials file has no credentials (aws_access_key_id and aws_secret_access_key, role_arn with source_profile or credential_source, role_arn with web_identity_token_file, credential_process, or login_session)",
      paths,
    ]);
  });

  test("a default profile without credentials (region only) leaves the chain to its next steps", async () => {
    const env = filesEnv("[default]\nregion = eu-west-1\n");
    expect(await failure(env)).toEndWith("and EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED)");
  });
});

describe("IAM Identity Center (SSO) profiles: refused, saying what to do", () => {
  const SSO_REFUSAL =
    "is an IAM Identity Center (SSO) profile, which the gateway does not sign in with: run `aws sso login --profile dev` and give the gateway its credentials (`aws configure export-credentials --profile dev --format env`), or name a profile whose credential_process is `aws configure export-credentials --profile dev --format process`";

  test("named, or reached as a source profile, or the default: the source, refused", async () => {
    const env = filesEnv(
      "[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = Dev\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n[profile app]\nrole_arn = r\nsource_profile = dev\n",
    );
    const prefix = "could not get credentials for upstream br: the AWS profile dev";
    expect(await failure({ ...env, AWS_PROFILE: "dev" })).toBe(`${prefix} ${SSO_REFUSAL}`);
    expect(await failure(env, { profile: "app" })).toBe(`${prefix} ${SSO_REFUSAL}`);
    const byDefault = filesEnv("[default]\nsso_start_url = https://corp.awsapps.com/start\n");
    expect(await failure(byDefault)).toContain(
      "the AWS profile default is an IAM Identity Center (SSO) profile",
    );
  });
});

describe("`aws login` profiles (login_session, AWS CLI 2.32+)", () => {
  test("one with SSO settings too: refused as SSO, which the SDKs try first", async () => {
    const env = filesEnv(
      "[profile dev]\nsso_session = corp\nlogin_session = arn:aws:iam::123456789012:user/dev\n",
    );
    expect(await failure({ ...env, AWS_PROFILE: "dev" })).toContain(
      "the AWS profile dev is an IAM Identity Center (SSO) profile",
    );
  });
});

describe("the shared files as the AWS SDKs read them", () => {
  test("sections, comments, nested blocks, and sections of other kinds", () => {
    const profiles = mergedProfiles(
      [
        "[default]",
        "region=us-west-2 ; comment",
        "[profile a]",
        "s3 =",
        "  max_concurrency = 10",
        "output = json",
        "[sso-session corp]",
        "sso_region = us-east-1",
        "[b]",
        "region = ignored",
        "[profile default]",
        "output = text",
      ].join("\n"),
      "[a]\n# c\naws_access_key_id=A\n[profile c]\naws_access_key_id = C\n[__proto__]\n",
    );
    expect(Object.fromEntries(profiles)).toEqual({
      default: { output: "text" },
      a: { "s3.max_concurrency": "10", output: "json", aws_access_key_id: "A" },
      // As in the SDKs: a prefixed section of the credentials file is no profile a name reaches.
      "profile.c": { aws_access_key_id: "C" },
    });
  });
});
