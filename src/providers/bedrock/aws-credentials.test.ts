import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { awsCredentialSource } from "./aws-credentials.ts";

// The container credentials endpoint (ECS) is a loopback server here; the others need none.
let server: ReturnType<typeof Bun.serve>;
let served = 0;
beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      if (req.headers.get("authorization") !== "container-secret")
        return new Response("denied", { status: 403 });
      served += 1;
      return Response.json({
        AccessKeyId: `ASIA${served}`,
        SecretAccessKey: "s",
        Token: "t",
        Expiration: new Date(Date.now() + 3_600_000).toISOString(),
      });
    },
  });
});
afterAll(() => server.stop(true));

// No ~/.aws of the host's: the shared files are none.
const NO_FILES = { AWS_CONFIG_FILE: "/nonexistent/c", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/c" };
const source = (config: Record<string, string>, env: Record<string, string>) =>
  awsCredentialSource({ provider: "br", region: "us-east-1", config, env: { ...NO_FILES, ...env } });

describe("the AWS credential chain", () => {
  test("config keys win over the environment", async () => {
    const creds = await source(
      { access_key_id: "CONFIG", secret_access_key: "c" },
      { AWS_ACCESS_KEY_ID: "ENV", AWS_SECRET_ACCESS_KEY: "e" },
    ).get();
    expect(creds).toEqual({ accessKeyId: "CONFIG", secretAccessKey: "c" });
  });

  test("environment keys, with a session token when set", async () => {
    const creds = await source(
      {},
      { AWS_ACCESS_KEY_ID: "ENV", AWS_SECRET_ACCESS_KEY: "e", AWS_SESSION_TOKEN: "tok" },
    ).get();
    expect(creds).toEqual({ accessKeyId: "ENV", secretAccessKey: "e", sessionToken: "tok" });
  });

  test("the container endpoint, with its authorization token, cached until near expiry", async () => {
    const creds = source(
      {},
      {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${server.port}/creds`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: "container-secret",
      },
    );
    const first = await creds.get();
    expect(first).toEqual({ accessKeyId: `ASIA${served}`, secretAccessKey: "s", sessionToken: "t" });
    expect(await creds.get()).toEqual(first);
    expect(served).toBe(1);
  });

  test("a plain-http AWS_CONTAINER_CREDENTIALS_FULL_URI on no loopback, ECS or EKS Pod Identity address is refused, its token never sent (as the AWS SDKs' checkUrl refuses it); https and those addresses are asked", async () => {
    const asked: string[] = [];
    const recording = (async (input: string | URL | Request) => {
      asked.push(String(input instanceof Request ? input.url : input));
      return Response.json({
        AccessKeyId: "ASIAOK",
        SecretAccessKey: "s",
        Token: "t",
        Expiration: new Date(Date.now() + 3_600_000).toISOString(),
      });
    }) as typeof fetch;
    const fromUri = (uri: string) =>
      awsCredentialSource({
        provider: "br",
        region: "us-east-1",
        config: {},
        env: {
          ...NO_FILES,
          AWS_CONTAINER_CREDENTIALS_FULL_URI: uri,
          AWS_CONTAINER_AUTHORIZATION_TOKEN: "container-secret",
        },
        fetch: recording,
      }).get();
    const error = await fromUri("http://10.1.2.3/creds").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(502);
    expect((error as GatewayError).message).toContain(
      "AWS_CONTAINER_CREDENTIALS_FULL_URI is plain http to 10.1.2.3, which is no loopback, ECS (169.254.170.2) or EKS Pod Identity (169.254.170.23, [fd00:ec2::23]) address: use https",
    );
    expect(asked).toEqual([]);
    for (const uri of [
      "https://creds.example.com/v1",
      "http://169.254.170.23/v1/credentials",
      "http://[fd00:ec2::23]/v1/credentials",
      "http://169.254.170.2/v2/credentials/x",
      "http://localhost:8080/creds",
      "http://127.0.0.9/creds",
      "http://[::1]/creds",
    ]) {
      expect(await fromUri(uri)).toMatchObject({ accessKeyId: "ASIAOK" });
    }
    expect(asked).toHaveLength(7);
  });

  test("a token file that cannot be read (web identity, container authorization) is a 502 saying which, its path for the log alone, not an unexplained failure", async () => {
    const absent = "/nonexistent/mindgw-token";
    for (const [env, said] of [
      [
        { AWS_WEB_IDENTITY_TOKEN_FILE: absent, AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/r" },
        "could not get credentials for upstream br: the web identity token file could not be read",
      ],
      [
        {
          AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${server.port}/creds`,
          AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: absent,
        },
        "could not get credentials for upstream br: the container authorization token file (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE) could not be read",
      ],
    ] as const) {
      const error = await source({}, env)
        .get()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({ status: 502, message: said, detail: absent });
    }
  });

  test("no credentials anywhere (EC2 instance metadata off) is a clear 502 naming the provider and what was tried", async () => {
    const error = await source({}, { AWS_EC2_METADATA_DISABLED: "true" })
      .get()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(502);
    expect((error as GatewayError).message).toBe(
      "could not get credentials for upstream br: no AWS credentials in config, the environment (AWS_BEARER_TOKEN_BEDROCK, AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_*) or the default profile (~/.aws), and EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED)",
    );
  });
});
