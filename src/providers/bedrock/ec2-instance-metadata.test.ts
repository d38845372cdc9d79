import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { ProviderCall } from "../provider.ts";
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
const imds = { noRole: false, keys: undefined as unknown };
let sessions = 0;

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
      if (!header("x-aws-ec2-metadata-token-ttl-seconds")) return new Response(null, { status: 400 });
      sessions += 1;
      return new Response(`session-${sessions}`);
    }
    if (pathname.startsWith("/latest/")) {
      if (!/^session-\d+$/.test(header("x-aws-ec2-metadata-token") ?? ""))
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
beforeEach(() => {
  heard.length = 0;
  imds.noRole = false;
  imds.keys = undefined;
});

const onEc2 = { AWS_EC2_METADATA_SERVICE_ENDPOINT: origin };
const source = (env: Record<string, string>) =>
  awsCredentialSource({ provider: "br", region: "us-east-1", config: {}, env });
const failure = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error as GatewayError,
  );

const call: ProviderCall = {
  operation: "chat",
  body: {},
  stream: false,
  requestId: "r1",
  signal: new AbortController().signal,
  timeouts: { connectMs: 5000, firstByteMs: 5000, idleMs: 5000 },
};

describe("EC2 instance metadata, the chain's last step", () => {
  test("IMDSv2: a session token PUT, the role's name, its keys; and the call to Bedrock is signed with them", async () => {
    const calls = bedrockCalls({
      name: "br",
      region: "us-east-1",
      baseUrl: origin,
      credentials: {},
      env: onEc2,
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

  test("AWS_EC2_METADATA_DISABLED turns it off (any value but false): a 502 naming what was tried, nothing asked", async () => {
    const disabled = await failure(source({ ...onEc2, AWS_EC2_METADATA_DISABLED: "true" }).get());
    expect([disabled.status, disabled.retryable, disabled.message]).toEqual([
      502,
      true,
      "could not get credentials for upstream br: no AWS credentials in config or the environment (AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_*), and EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED)",
    ]);
    expect(heard).toEqual([]);
    expect((await source({ ...onEc2, AWS_EC2_METADATA_DISABLED: "false" }).get()).accessKeyId).toBe(
      "ASIAEC2ROLE",
    );
  });

  test("off EC2 (nothing at the endpoint) is a 502 naming each step tried and why the last failed", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const port = closed.port;
    closed.stop(true);
    const absent = await failure(
      source({ AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${port}` }).get(),
    );
    expect(absent.message).toBe(
      "could not get credentials for upstream br: no AWS credentials in config or the environment (AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_*), and EC2 instance metadata could not be reached: connection refused (ECONNREFUSED)",
    );
  });

  test("an instance with no instance profile, or keys it could not give, is a 502 saying so", async () => {
    imds.noRole = true;
    expect((await failure(source(onEc2).get())).message).toEndWith("and EC2 instance metadata answered 404");
    imds.noRole = false;
    imds.keys = { Code: "AssumeRoleUnauthorizedAccess", Message: "EC2 cannot assume the role" };
    expect((await failure(source(onEc2).get())).message).toEndWith("and EC2 instance metadata sent no keys");
    imds.keys = { Code: "Success", AccessKeyId: "ASIA", Expiration: "2026-12-06T10:00:00Z" };
    expect((await failure(source(onEc2).get())).message).toEndWith("and EC2 instance metadata sent no keys");
  });
});
