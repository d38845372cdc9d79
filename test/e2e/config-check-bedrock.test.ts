import { describe, expect, test } from "bun:test";
import { loginCachePath } from "../../src/providers/bedrock/aws-login-credentials.ts";
import { configFiles } from "./harness/config-cli-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

// `mindgw config check` on a valid file with a Bedrock provider whose credential chain reaches a
// step that cannot answer: STS refused, a web identity token file not there, EC2 instance
// metadata asked in a mode the AWS SDKs refuse. Each is warned of; keys before it in the chain
// are not.

const { writeConfig } = configFiles();

/** One Bedrock provider and a model routed to it: the warnings name both. */
const bedrockOnly = {
  providers: [{ name: "br", type: "bedrock", region: "us-east-1" }],
  models: [{ name: "m-br", allow_unpriced: true, routes: [{ provider: "br", model: "x" }] }],
};

describe("mindgw config check: Bedrock's credential chain", () => {
  test("bedrock whose credentials come from STS, with FIPS asked beside STS's custom endpoint alone: valid, with a warning; keys that never reach STS: none", async () => {
    const path = await writeConfig(bedrockOnly);
    const aws = `${path}.aws-config`;
    await Bun.write(
      aws,
      "[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = base\n\n[profile base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n",
    );
    const fipsBesideSts = {
      AWS_CONFIG_FILE: aws,
      AWS_USE_FIPS_ENDPOINT: "true",
      AWS_ENDPOINT_URL_STS: "http://127.0.0.1:9",
    };
    // There: one not there is said first (below).
    await Bun.write(`${path}.token`, "eyJ.token");
    const said =
      "warning: provider br (bedrock) has no usable credentials: STS, where its credentials are got, cannot be asked: FIPS is asked (AWS_USE_FIPS_ENDPOINT) beside a custom endpoint (AWS_ENDPOINT_URL_STS): FIPS and a custom endpoint are not supported together, as in the AWS SDKs; its calls will answer 502 (model m-br (route br/x))";
    // The environment's web identity, and a profile's role: each exchanged at STS, each refused there.
    for (const env of [
      {
        ...fipsBesideSts,
        AWS_WEB_IDENTITY_TOKEN_FILE: `${path}.token`,
        AWS_ROLE_ARN: "arn:aws:iam::1:role/r",
      },
      { ...fipsBesideSts, AWS_PROFILE: "ops" },
    ]) {
      const result = await runMindgw(["config", "check", "-c", path], { env });
      expect(result.code).toBe(0);
      expect(result.stderr.trim()).toBe(said);
    }
    // Keys that sign by themselves (the environment's, a static profile's) never reach STS: nothing said.
    for (const env of [
      { ...fipsBesideSts, AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: "s", AWS_ROLE_ARN: "r" },
      { ...fipsBesideSts, AWS_PROFILE: "base" },
    ]) {
      const result = await runMindgw(["config", "check", "-c", path], { env });
      expect(result).toMatchObject({ code: 0, stderr: "" });
    }
  });

  test("bedrock whose credentials come from the environment's web identity, its token file not there: valid, with a warning naming the file; keys or a profile before it in the chain: none", async () => {
    const path = await writeConfig(bedrockOnly);
    const aws = `${path}.aws-config`;
    await Bun.write(aws, "[profile base]\naws_access_key_id = AKIABASE\naws_secret_access_key = s\n");
    const identity = {
      AWS_CONFIG_FILE: aws,
      AWS_SHARED_CREDENTIALS_FILE: `${path}.no-aws-credentials`,
      AWS_WEB_IDENTITY_TOKEN_FILE: `${path}.unmounted-token`,
      AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/app",
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_PROFILE: undefined,
      AWS_BEARER_TOKEN_BEDROCK: undefined,
    };
    const result = await runMindgw(["config", "check", "-c", path], { env: identity });
    expect(result.code).toBe(0);
    expect(result.stderr.trim()).toBe(
      `warning: provider br (bedrock) has no usable credentials: the web identity token file ${path}.unmounted-token (AWS_WEB_IDENTITY_TOKEN_FILE) does not exist; its calls will answer 502 (model m-br (route br/x))`,
    );
    // Before it in the chain, the environment's keys and a profile named: the file is never read.
    for (const env of [
      { ...identity, AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: "s" },
      { ...identity, AWS_PROFILE: "base" },
    ]) {
      const quiet = await runMindgw(["config", "check", "-c", path], { env });
      expect(quiet).toMatchObject({ code: 0, stderr: "" });
    }
    // Mounted: nothing said.
    await Bun.write(`${path}.unmounted-token`, "eyJ.token");
    const mounted = await runMindgw(["config", "check", "-c", path], { env: identity });
    expect(mounted).toMatchObject({ code: 0, stderr: "" });
  });

  test("bedrock whose credential chain ends at EC2 instance metadata, with an endpoint mode the AWS SDKs refuse: valid, with a warning; the mode IPv6 or the step turned off: none", async () => {
    const path = await writeConfig(bedrockOnly);
    // No keys, profile, web identity or container endpoint: the chain's last step, turned on.
    const atInstanceMetadata = {
      AWS_CONFIG_FILE: `${path}.no-aws-config`,
      AWS_EC2_METADATA_DISABLED: "false",
      AWS_EC2_METADATA_SERVICE_ENDPOINT: "",
    };
    const refused = await runMindgw(["config", "check", "-c", path], {
      env: { ...atInstanceMetadata, AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv5" },
    });
    expect(refused.code).toBe(0);
    expect(refused.stderr.trim()).toBe(
      'warning: provider br (bedrock) has no usable credentials: EC2 instance metadata, where its credentials are got, cannot be asked: AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is "IPv5": expected IPv4 or IPv6, as the AWS SDKs read it; its calls will answer 502 (model m-br (route br/x))',
    );
    // An empty AWS_EC2_METADATA_DISABLED is unset, as the AWS SDK for JavaScript reads it: the step is on,
    // and warned of.
    const emptyOff = await runMindgw(["config", "check", "-c", path], {
      env: {
        ...atInstanceMetadata,
        AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv5",
        AWS_EC2_METADATA_DISABLED: "",
      },
    });
    expect(emptyOff).toMatchObject({ code: 0, stderr: refused.stderr });
    for (const env of [
      { ...atInstanceMetadata, AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv6" },
      {
        ...atInstanceMetadata,
        AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv5",
        AWS_EC2_METADATA_DISABLED: "true",
      },
    ]) {
      const result = await runMindgw(["config", "check", "-c", path], { env });
      expect(result).toMatchObject({ code: 0, stderr: "" });
    }
  });

  test("bedrock whose profile's web identity token file is not there (the profile named, default, or a role's source_profile): valid, with a warning naming the file and the profile, once", async () => {
    const path = await writeConfig(bedrockOnly);
    const aws = `${path}.aws-config`;
    const absent = `${path}.unmounted-token`;
    await Bun.write(
      aws,
      `[profile irsa]\nrole_arn = arn:aws:iam::123456789012:role/app\nweb_identity_token_file = ${absent}\n\n[profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = irsa\n\n[default]\nrole_arn = arn:aws:iam::123456789012:role/app\nweb_identity_token_file = ${absent}\n`,
    );
    const files = { AWS_CONFIG_FILE: aws, AWS_SHARED_CREDENTIALS_FILE: `${path}.no-aws-credentials` };
    const said = (profile: string) =>
      `warning: provider br (bedrock) has no usable credentials: the web identity token file ${absent} (web_identity_token_file of profile ${profile}) does not exist; its calls will answer 502 (model m-br (route br/x))`;
    // Before: nothing said, and every call a 502 at its first exchange.
    for (const [env, profile] of [
      [{ ...files, AWS_PROFILE: "irsa" }, "irsa"],
      [{ ...files, AWS_PROFILE: "ops" }, "irsa"],
      [files, "default"],
    ] as const) {
      const result = await runMindgw(["config", "check", "-c", path], { env });
      expect(result.code).toBe(0);
      expect(result.stderr.trim()).toBe(said(profile));
    }
    // Mounted: nothing said.
    await Bun.write(absent, "eyJ.token");
    const mounted = await runMindgw(["config", "check", "-c", path], {
      env: { ...files, AWS_PROFILE: "ops" },
    });
    expect(mounted).toMatchObject({ code: 0, stderr: "" });
  });

  test("bedrock whose profile's role the gateway refuses to assume (an MFA code asked, a source_profile cycle): valid, with a warning in the refusal's words, even where the source ends at a web identity token file not there", async () => {
    const path = await writeConfig(bedrockOnly);
    const aws = `${path}.aws-config`;
    await Bun.write(
      aws,
      `[profile app]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = wi\nmfa_serial = arn:aws:iam::1:mfa/me\n\n[profile wi]\nrole_arn = arn:aws:iam::1:role/wi\nweb_identity_token_file = ${path}.unmounted-token\n\n[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n`,
    );
    const files = { AWS_CONFIG_FILE: aws, AWS_SHARED_CREDENTIALS_FILE: `${path}.no-aws-credentials` };
    const said = (why: string) =>
      `warning: provider br (bedrock) has no usable credentials: ${why}; its calls will answer 502 (model m-br (route br/x))`;
    // Before: nothing said of either, and every call a 502 naming the refusal.
    for (const [profile, why] of [
      [
        "app",
        "the AWS profile app: its role asks for an MFA code (mfa_serial), which a gateway cannot type; give it credentials without",
      ],
      ["a", "the AWS profile a: source_profile makes a cycle (a → b → a → b)"],
    ] as const) {
      const result = await runMindgw(["config", "check", "-c", path], {
        env: { ...files, AWS_PROFILE: profile },
      });
      expect(result.code).toBe(0);
      expect(result.stderr.trim()).toBe(said(why));
    }
  });

  test("bedrock whose profile's role is sourced from EC2 instance metadata (credential_source = Ec2InstanceMetadata), with an endpoint mode the AWS SDKs refuse: valid, with a warning as the environment's case has", async () => {
    const path = await writeConfig(bedrockOnly);
    const aws = `${path}.aws-config`;
    await Bun.write(
      aws,
      "[profile node]\nrole_arn = arn:aws:iam::123456789012:role/app\ncredential_source = Ec2InstanceMetadata\n\n[profile hop]\nrole_arn = arn:aws:iam::123456789012:role/hop\nsource_profile = node\n",
    );
    const env = {
      AWS_CONFIG_FILE: aws,
      AWS_SHARED_CREDENTIALS_FILE: `${path}.no-aws-credentials`,
      AWS_EC2_METADATA_DISABLED: "false",
      AWS_EC2_METADATA_SERVICE_ENDPOINT: "",
      AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv5",
    };
    // Before: nothing said, and each call's 502 alone told it.
    for (const profile of ["node", "hop"]) {
      const result = await runMindgw(["config", "check", "-c", path], {
        env: { ...env, AWS_PROFILE: profile },
      });
      expect(result.code).toBe(0);
      expect(result.stderr.trim()).toBe(
        'warning: provider br (bedrock) has no usable credentials: EC2 instance metadata, where its credentials are got, cannot be asked: AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is "IPv5": expected IPv4 or IPv6, as the AWS SDKs read it; its calls will answer 502 (model m-br (route br/x))',
      );
    }
    // AWS_EC2_METADATA_DISABLED turns off the chain's last step, not a credential_source's ask: still said.
    const disabled = await runMindgw(["config", "check", "-c", path], {
      env: { ...env, AWS_PROFILE: "node", AWS_EC2_METADATA_DISABLED: "true" },
    });
    expect(disabled.stderr).toContain(
      "EC2 instance metadata, where its credentials are got, cannot be asked",
    );
    const ipv6 = await runMindgw(["config", "check", "-c", path], {
      env: { ...env, AWS_PROFILE: "node", AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv6" },
    });
    expect(ipv6).toMatchObject({ code: 0, stderr: "" });
  });

  test("bedrock whose profile is an `aws login` one (login_session), named or the default: valid; a warning while its session is not in the login cache", async () => {
    const path = await writeConfig(bedrockOnly);
    const aws = `${path}.aws-config`;
    const cache = `${path}.login-cache`;
    await Bun.write(aws, "[profile dev]\nlogin_session = arn:aws:iam::123456789012:user/dev\n");
    const files = {
      AWS_CONFIG_FILE: aws,
      AWS_SHARED_CREDENTIALS_FILE: `${path}.no-aws-credentials`,
      AWS_LOGIN_CACHE_DIRECTORY: cache,
    };
    const cached = loginCachePath("arn:aws:iam::123456789012:user/dev", files);
    const said = (profile: string) =>
      `warning: provider br (bedrock) has no usable credentials: the \`aws login\` session of the AWS profile ${profile} is not in the login cache (${cached}): run \`aws login --profile ${profile}\`; its calls will answer 502 (model m-br (route br/x))`;
    // Before: refused, "… whose cached session the gateway does not read or refresh …".
    const named = await runMindgw(["config", "check", "-c", path], { env: { ...files, AWS_PROFILE: "dev" } });
    expect(named.code).toBe(0);
    expect(named.stderr.trim()).toBe(said("dev"));
    await Bun.write(aws, "[default]\nlogin_session = arn:aws:iam::123456789012:user/dev\n");
    const byDefault = await runMindgw(["config", "check", "-c", path], { env: files });
    expect(byDefault.code).toBe(0);
    expect(byDefault.stderr.trim()).toBe(said("default"));
    // `aws login` run: nothing to say (the session is read and refreshed at each fetch).
    await Bun.write(cached, "{}");
    const loggedIn = await runMindgw(["config", "check", "-c", path], { env: files });
    expect(loggedIn).toMatchObject({ code: 0, stderr: "" });
  });
});
