import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorText } from "../../audit/redact-body.ts";
import { freePort } from "../../testing/free-port.ts";
import { failureOf } from "../../testing/gateway-error-of.ts";
import { providerCall } from "../../testing/provider-call.ts";
import { awsCredentialSource } from "./aws-credentials.ts";
import { bedrockCalls } from "./bedrock-call.ts";

interface Heard {
  method: string;
  path: string;
  headers: Record<string, string | null>;
}

const ROLE = "mindgw-node-role";

/**
 * EC2 instance metadata on loopback, IMDSv2 as it answers with `HttpTokens: required`: a session
 * token for a PUT that says its TTL (400 without), every GET without a session token it issued
 * refused 401; the instance profile's role under security-credentials/ (404 when `noRole`, as an
 * instance without a profile answers), then its keys. Beside it, Bedrock's runtime, which records
 * the signature each call came with.
 */
const heard: Heard[] = [];
const imds = {
  noRole: false,
  keys: undefined as unknown,
  /** The token PUT's status instead of a token (403, 404, 405 where IMDSv2 is off, 400), or "hang" (a hop limit of 1 seen from a container: the answer never comes back). */
  token: undefined as number | "hang" | undefined,
  /** `HttpTokens: optional`: GETs without a session token are answered (IMDSv1). */
  v1: false,
};
let sessions = 0;
/** The token PUTs left hanging, answered at each test's end. */
const hanging: (() => void)[] = [];

const fake = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    const { pathname } = new URL(request.url);
    const header = (name: string) => request.headers.get(name);
    heard.push({
      method: request.method,
      path: pathname,
      headers: {
        "x-aws-ec2-metadata-token-ttl-seconds": header("x-aws-ec2-metadata-token-ttl-seconds"),
        "x-aws-ec2-metadata-token": header("x-aws-ec2-metadata-token"),
        authorization: header("authorization"),
        "x-amz-security-token": header("x-amz-security-token"),
      },
    });
    if (pathname === "/latest/api/token") {
      if (request.method !== "PUT") return new Response(null, { status: 405 });
      const token = imds.token;
      if (token === "hang")
        return new Promise<Response>((resolve) =>
          hanging.push(() => resolve(new Response(null, { status: 504 }))),
        );
      if (token !== undefined) return new Response(null, { status: token });
      if (!header("x-aws-ec2-metadata-token-ttl-seconds")) return new Response(null, { status: 400 });
      sessions += 1;
      return new Response(`session-${sessions}`);
    }
    if (pathname.startsWith("/latest/")) {
      const token = header("x-aws-ec2-metadata-token");
      if (token === null ? !imds.v1 : !/^session-\d+$/.test(token))
        return new Response(null, { status: 401 });
      if (pathname === "/latest/meta-data/iam/security-credentials/")
        return imds.noRole ? new Response("not found", { status: 404 }) : new Response(ROLE);
      if (pathname === `/latest/meta-data/iam/security-credentials/${ROLE}`)
        return Response.json(
          imds.keys ?? {
            Code: "Success",
            LastUpdated: "2026-12-06T04:00:00Z",
            Type: "AWS-HMAC",
            AccessKeyId: "ASIAEC2ROLE",
            SecretAccessKey: "ec2-secret",
            Token: "ec2-session-token",
            Expiration: new Date(Date.now() + 3_600_000).toISOString(),
          },
        );
      return new Response("not found", { status: 404 });
    }
    if (pathname.startsWith("/model/")) return Response.json({});
    return new Response("not found", { status: 404 });
  },
});
const origin = `http://127.0.0.1:${fake.port}`;
afterAll(() => fake.stop(true));
const dir = mkdtempSync(join(tmpdir(), "mindgw-imds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  heard.length = 0;
  imds.noRole = false;
  imds.keys = undefined;
  imds.token = undefined;
  imds.v1 = false;
});
afterEach(() => {
  for (const answer of hanging.splice(0)) answer();
});

const onEc2 = { AWS_EC2_METADATA_SERVICE_ENDPOINT: origin };
// No ~/.aws of the host's: the shared files are none.
const NO_FILES = { AWS_CONFIG_FILE: "/nonexistent/c", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/c" };
const source = (env: Record<string, string>) =>
  awsCredentialSource({ provider: "br", region: "us-east-1", config: {}, env: { ...NO_FILES, ...env } });
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
        headers: { ...none, "x-aws-ec2-metadata-token": `session-${sessions}` },
      },
      {
        method: "GET",
        path: `/latest/meta-data/iam/security-credentials/${ROLE}`,
        headers: { ...none, "x-aws-ec2-metadata-token": `session-${sessions}` },
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
    expect((await failureOf(source(onEc2).get())).message).toEndWith(
      "and EC2 instance metadata sent no keys",
    );
    imds.keys = { Code: "Success", AccessKeyId: "ASIA", Expiration: "2026-12-06T10:00:00Z" };
    expect((await failureOf(source(onEc2).get())).message).toEndWith(
      "and EC2 instance metadata sent no keys",
    );
  });
});

describe("the IMDSv1 fallback, as the AWS SDKs fall back (@smithy/credential-provider-imds)", () => {
  const asked = () =>
    heard.map((entry) => [entry.method, entry.path, entry.headers["x-aws-ec2-metadata-token"]]);
  const V1 = [
    ["GET", "/latest/meta-data/iam/security-credentials/", null],
    ["GET", `/latest/meta-data/iam/security-credentials/${ROLE}`, null],
  ];

  test("a token PUT refused with 403, 404 or 405 (IMDSv2 off, or a proxy in the way): the role and its keys by GETs without a token; later fetches skip the PUT", async () => {
    imds.v1 = true;
    for (const status of [403, 404, 405]) {
      heard.length = 0;
      imds.token = status;
      const credentials = source(onEc2);
      const first = await credentials.get();
      expect(first.accessKeyId).toBe("ASIAEC2ROLE");
      expect(asked()).toEqual([["PUT", "/latest/api/token", null], ...V1]);
      heard.length = 0;
      credentials.invalidate(first);
      await credentials.get();
      expect(asked()).toEqual(V1);
    }
  });

  test("a token PUT that never answers (a hop limit of 1, seen from a container) falls back once its second is out", async () => {
    imds.v1 = true;
    imds.token = "hang";
    expect((await source(onEc2).get()).accessKeyId).toBe("ASIAEC2ROLE");
    expect(asked()).toEqual([["PUT", "/latest/api/token", null], ...V1]);
  });

  test("a v1 GET refused 401 (IMDSv2 required again) fails that fetch, and the next asks for a token again", async () => {
    imds.v1 = true;
    imds.token = 403;
    let now = Date.now();
    const credentials = awsCredentialSource({
      provider: "br",
      region: "us-east-1",
      config: {},
      env: { ...NO_FILES, ...onEc2 },
      now: () => now,
    });
    const first = await credentials.get();
    imds.v1 = false;
    imds.token = undefined;
    heard.length = 0;
    credentials.invalidate(first);
    expect((await failureOf(credentials.get())).message).toEndWith("and EC2 instance metadata answered 401");
    expect(asked()).toEqual(V1.slice(0, 1));
    heard.length = 0;
    now += 60_000; // past the failed fetch's backoff
    expect((await credentials.get()).accessKeyId).toBe("ASIAEC2ROLE");
    expect(asked()[0]).toEqual(["PUT", "/latest/api/token", null]);
  });

  test("AWS_EC2_METADATA_V1_DISABLED (any value but false) blocks the fallback, saying so; a 400 to the PUT is never fallen back from", async () => {
    imds.v1 = true;
    imds.token = 403;
    const blocked = await failureOf(source({ ...onEc2, AWS_EC2_METADATA_V1_DISABLED: "true" }).get());
    expect(blocked.message).toEndWith(
      "and EC2 instance metadata gave no IMDSv2 session token (403), and the IMDSv1 fallback is disabled (AWS_EC2_METADATA_V1_DISABLED)",
    );
    expect(asked()).toEqual([["PUT", "/latest/api/token", null]]);
    expect((await source({ ...onEc2, AWS_EC2_METADATA_V1_DISABLED: "false" }).get()).accessKeyId).toBe(
      "ASIAEC2ROLE",
    );
    heard.length = 0;
    imds.token = 400;
    expect((await failureOf(source(onEc2).get())).message).toEndWith(
      "and EC2 instance metadata answered 400",
    );
    expect(asked()).toEqual([["PUT", "/latest/api/token", null]]);
  });

  test("the profile's ec2_metadata_v1_disabled blocks it too, when the environment says nothing (@smithy/credential-provider-imds loadConfig: env, then the profile)", async () => {
    imds.v1 = true;
    imds.token = 403;
    const AWS_CONFIG_FILE = join(dir, "v1-disabled-config");
    writeFileSync(AWS_CONFIG_FILE, "[default]\nec2_metadata_v1_disabled = true\n");
    // Before: the profile's setting unread, its keys fetched by IMDSv1.
    const blocked = await failureOf(source({ ...onEc2, AWS_CONFIG_FILE }).get());
    expect(blocked.message).toEndWith(
      "and EC2 instance metadata gave no IMDSv2 session token (403), and the IMDSv1 fallback is disabled (ec2_metadata_v1_disabled of profile default)",
    );
    // The environment's word, even an empty one, is taken over the profile's.
    for (const AWS_EC2_METADATA_V1_DISABLED of ["false", ""])
      expect(
        (await source({ ...onEc2, AWS_CONFIG_FILE, AWS_EC2_METADATA_V1_DISABLED }).get()).accessKeyId,
      ).toBe("ASIAEC2ROLE");
  });

  test("checked at every fetch on IMDSv1, as smithy checks each v1 fetch; and the credentials file's profile is read under the config file's", async () => {
    imds.v1 = true;
    imds.token = 403;
    const AWS_CONFIG_FILE = join(dir, "v1-later-config");
    writeFileSync(AWS_CONFIG_FILE, "[default]\nregion = us-east-1\n");
    const credentials = source({ ...onEc2, AWS_CONFIG_FILE });
    const first = await credentials.get();
    writeFileSync(AWS_CONFIG_FILE, "[default]\nec2_metadata_v1_disabled = true\n");
    heard.length = 0;
    credentials.invalidate(first);
    // Before: on v1 from the first fetch, the setting never read again: keys fetched by IMDSv1.
    expect((await failureOf(credentials.get())).message).toEndWith(
      "gave no IMDSv2 session token (403), and the IMDSv1 fallback is disabled (ec2_metadata_v1_disabled of profile default)",
    );
    expect(asked()).toEqual([["PUT", "/latest/api/token", null]]);
    const AWS_SHARED_CREDENTIALS_FILE = join(dir, "v1-disabled-credentials");
    writeFileSync(AWS_SHARED_CREDENTIALS_FILE, "[default]\nec2_metadata_v1_disabled = true\n");
    writeFileSync(AWS_CONFIG_FILE, "[default]\nregion = us-east-1\n");
    // Before: the config file's profile alone read, the fallback taken.
    expect(
      (await failureOf(source({ ...onEc2, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE }).get())).message,
    ).toEndWith("and the IMDSv1 fallback is disabled (ec2_metadata_v1_disabled of profile default)");
    writeFileSync(AWS_CONFIG_FILE, "[default]\nec2_metadata_v1_disabled = false\n");
    expect((await source({ ...onEc2, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE }).get()).accessKeyId).toBe(
      "ASIAEC2ROLE",
    );
  });
});
