import { describe, expect, test } from "bun:test";
import { errorText } from "../../audit/redact-body.ts";
import { fakeImds, ROLE } from "../../testing/fake-imds.ts";
import { freePort } from "../../testing/free-port.ts";
import { failureOf } from "../../testing/gateway-error-of.ts";
import { providerCall } from "../../testing/provider-call.ts";
import { bedrockCalls } from "./bedrock-call.ts";

// EC2 instance metadata on loopback, IMDSv2 as it answers with `HttpTokens: required`, and
// Bedrock's runtime beside it (src/testing/fake-imds.ts). The IMDSv1 fallback is tested in
// ec2-imds-v1-fallback.test.ts.
const fake = fakeImds();
const { heard, imds, origin, onEc2, NO_FILES, source } = fake;
const call = providerCall({});

describe("EC2 instance metadata, the chain's last step", () => {
  test("IMDSv2: a session token PUT, the role's name, its keys; and the call to Bedrock is signed with them", async () => {
    const calls = bedrockCalls({
      name: "br",
      region: "us-east-1",
      baseUrl: origin,
      credentials: {},
      env: { ...NO_FILES, ...onEc2 },
    });
    await calls.send(call, "anthropic.claude-v2", "converse", "{}");
    const none = {
      "x-aws-ec2-metadata-token-ttl-seconds": null,
      authorization: null,
      "x-amz-security-token": null,
    };
    expect(heard.slice(0, 3)).toEqual([
      {
        method: "PUT",
        path: "/latest/api/token",
        headers: {
          ...none,
          "x-aws-ec2-metadata-token-ttl-seconds": "21600",
          "x-aws-ec2-metadata-token": null,
        },
      },
      {
        method: "GET",
        path: "/latest/meta-data/iam/security-credentials/",
        headers: { ...none, "x-aws-ec2-metadata-token": `session-${fake.sessions}` },
      },
      {
        method: "GET",
        path: `/latest/meta-data/iam/security-credentials/${ROLE}`,
        headers: { ...none, "x-aws-ec2-metadata-token": `session-${fake.sessions}` },
      },
    ]);
    const signed = heard[3];
    expect(signed?.path).toBe("/model/anthropic.claude-v2/converse");
    expect(signed?.headers.authorization).toStartWith("AWS4-HMAC-SHA256 Credential=ASIAEC2ROLE/");
    expect(signed?.headers["x-amz-security-token"]).toBe("ec2-session-token");
  });

  test("the keys are cached until their Expiration nears", async () => {
    const credentials = source(onEc2);
    const first = await credentials.get();
    expect(first).toEqual({
      accessKeyId: "ASIAEC2ROLE",
      secretAccessKey: "ec2-secret",
      sessionToken: "ec2-session-token",
    });
    expect(await credentials.get()).toBe(first);
    expect(heard).toHaveLength(3);
  });

  test("each step before it wins: environment keys are never traded for the instance's role", async () => {
    const credentials = await source({
      ...onEc2,
      AWS_ACCESS_KEY_ID: "AKIAENV",
      AWS_SECRET_ACCESS_KEY: "e",
    }).get();
    expect(credentials.accessKeyId).toBe("AKIAENV");
    expect(heard).toEqual([]);
  });

  test("AWS_EC2_METADATA_DISABLED turns it off (any non-empty value but false): a 502 naming what was tried, nothing asked", async () => {
    const disabled = await failureOf(source({ ...onEc2, AWS_EC2_METADATA_DISABLED: "true" }).get());
    expect([disabled.status, disabled.retryable, disabled.message]).toEqual([
      502,
      true,
      "could not get credentials for upstream br: no AWS credentials in config, the environment (AWS_BEARER_TOKEN_BEDROCK, AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_*) or the default profile (~/.aws), and EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED)",
    ]);
    expect(heard).toEqual([]);
    expect((await source({ ...onEc2, AWS_EC2_METADATA_DISABLED: "false" }).get()).accessKeyId).toBe(
      "ASIAEC2ROLE",
    );
  });

  test('an empty AWS_EC2_METADATA_DISABLED is unset, as the AWS SDK for JavaScript reads it (`env[…] && env[…] !== "false"`): instance metadata is asked', async () => {
    // Before: "" read as disabled, a 502 and nothing asked, where the JS chain asks the instance.
    expect((await source({ ...onEc2, AWS_EC2_METADATA_DISABLED: "" }).get()).accessKeyId).toBe("ASIAEC2ROLE");
    expect(heard.map((request) => request.method)).toEqual(["PUT", "GET", "GET"]);
  });

  test('the AWS SDK compares with `"false"` as written: `False` or `FALSE` turns it off, and blocks the IMDSv1 fallback', async () => {
    // Before: lower-cased, so `False` read as `false`: instance metadata asked, IMDSv1 fallen back to.
    for (const AWS_EC2_METADATA_DISABLED of ["False", "FALSE"])
      expect((await failureOf(source({ ...onEc2, AWS_EC2_METADATA_DISABLED }).get())).message).toEndWith(
        "and EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED)",
      );
    expect(heard).toEqual([]);
    imds.v1 = true;
    imds.token = 403;
    expect(
      (await failureOf(source({ ...onEc2, AWS_EC2_METADATA_V1_DISABLED: "False" }).get())).message,
    ).toEndWith("and the IMDSv1 fallback is disabled (AWS_EC2_METADATA_V1_DISABLED)");
  });

  test("off EC2 (nothing at the endpoint) is a 502 naming each step tried and why the last failed", async () => {
    const port = freePort();
    const absent = await failureOf(
      source({ AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${port}` }).get(),
    );
    expect(absent.message).toBe(
      "could not get credentials for upstream br: no AWS credentials in config, the environment (AWS_BEARER_TOKEN_BEDROCK, AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_*) or the default profile (~/.aws), and EC2 instance metadata could not be reached: connection refused (ECONNREFUSED)",
    );
  });

  test("the keys it gives are never written down: an error quoting them (a signature refusal's canonical request names the session token) reads [redacted] in every log line", async () => {
    const secret = "imdsSECRETaccessKEY0123456789";
    const token = "imdsSESSIONtoken0123456789";
    imds.keys = {
      Code: "Success",
      AccessKeyId: "ASIAEC2ROLE",
      SecretAccessKey: secret,
      Token: token,
      Expiration: new Date(Date.now() + 3_600_000).toISOString(),
    };
    expect((await source(onEc2).get()).secretAccessKey).toBe(secret);
    const quoted = `The request signature we calculated does not match: x-amz-security-token ${token}; key ${secret}`;
    expect(errorText(quoted, true)).toBe(
      "The request signature we calculated does not match: x-amz-security-token [redacted]; key [redacted]",
    );
  });

  test("an instance with no instance profile, or keys it could not give, is a 502 saying so", async () => {
    imds.noRole = true;
    expect((await failureOf(source(onEc2).get())).message).toEndWith(
      "and EC2 instance metadata answered 404",
    );
    imds.noRole = false;
    imds.keys = { Code: "AssumeRoleUnauthorizedAccess", Message: "EC2 cannot assume the role" };
    const refused = await failureOf(source(onEc2).get());
    expect(refused.message).toEndWith("and EC2 instance metadata sent no keys");
    // Why, for the log: the refusal's Code (before, lost: the reply, keyless, was refused first).
    expect(refused.detail).toBe("AssumeRoleUnauthorizedAccess");
    imds.keys = { Code: "Success", AccessKeyId: "ASIA", Expiration: "2026-12-06T10:00:00Z" };
    expect((await failureOf(source(onEc2).get())).message).toEndWith(
      "and EC2 instance metadata sent keys without SecretAccessKey and Token, which the AWS SDKs refuse",
    );
  });

  test("keys without Expiration or Token are a 502 naming what was missing, as @smithy/credential-provider-imds isImdsCredentials refuses them", async () => {
    const { Expiration: _, ...noExpiration } = {
      Code: "Success",
      AccessKeyId: "ASIAEC2ROLE",
      SecretAccessKey: "s",
      Token: "t",
      Expiration: "",
    };
    imds.keys = noExpiration;
    // Before: the keys taken, their expiry guessed an hour on.
    const failure = await failureOf(source(onEc2).get());
    expect(failure.status).toBe(502);
    expect(failure.message).toEndWith(
      "and EC2 instance metadata sent keys without Expiration, which the AWS SDKs refuse",
    );
    imds.keys = { Code: "Success", AccessKeyId: "ASIAEC2ROLE", SecretAccessKey: "s" };
    expect((await failureOf(source(onEc2).get())).message).toEndWith(
      "and EC2 instance metadata sent keys without Token and Expiration, which the AWS SDKs refuse",
    );
  });
});
