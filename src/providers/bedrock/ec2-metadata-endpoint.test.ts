import { afterAll, beforeEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GatewayError } from "../../core/gateway-error.ts";
import { awsCredentialSource } from "./aws-credentials.ts";

// Where EC2 instance metadata is asked, as the AWS SDKs find it (@smithy/credential-provider-imds
// getInstanceMetadataEndpoint): the endpoint (AWS_EC2_METADATA_SERVICE_ENDPOINT, else the
// profile's ec2_metadata_service_endpoint), else the endpoint mode's (AWS_EC2_METADATA_SERVICE_
// ENDPOINT_MODE, else the profile's ec2_metadata_service_endpoint_mode: IPv4's 169.254.169.254,
// IPv6's [fd00:ec2::254]). One loopback fake plays IMDS at every address: the fetch given the
// chain notes the origin each request was meant for and sends it there.
const origins: string[] = [];
const imds = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/latest/api/token") return new Response("session");
    if (pathname === "/latest/meta-data/iam/security-credentials/") return new Response("node-role");
    return Response.json({
      Code: "Success",
      AccessKeyId: "ASIAIMDS",
      SecretAccessKey: "s",
      Token: "t",
      Expiration: new Date(Date.now() + 3_600_000).toISOString(),
    });
  },
});
const toFake = ((input: string | URL | Request, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  origins.push(url.origin);
  url.host = `127.0.0.1:${imds.port}`;
  url.protocol = "http:";
  return fetch(url, init);
}) as typeof fetch;
const dir = mkdtempSync(join(tmpdir(), "ec2-metadata-endpoint-"));
afterAll(() => {
  imds.stop(true);
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  origins.length = 0;
});

/** A shared config file of `text`. */
const configFile = (text: string) => {
  const path = join(dir, `config-${Bun.hash(text)}`);
  writeFileSync(path, text);
  return path;
};
/** The origins asked for the instance's keys with `env` (no keys anywhere else, no shared files but `AWS_CONFIG_FILE`'s). */
const originsAsked = async (env: Record<string, string>) => {
  origins.length = 0;
  const source = awsCredentialSource({
    provider: "br",
    region: "us-east-1",
    config: {},
    env: { AWS_CONFIG_FILE: "/nonexistent/c", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/c", ...env },
    fetch: toFake,
  });
  expect(await source.get()).toMatchObject({ accessKeyId: "ASIAIMDS" });
  return [...new Set(origins)];
};

test("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 asks [fd00:ec2::254]; IPv4, or none, 169.254.169.254", async () => {
  expect(await originsAsked({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv6" })).toEqual([
    "http://[fd00:ec2::254]",
  ]);
  expect(await originsAsked({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv4" })).toEqual([
    "http://169.254.169.254",
  ]);
  expect(await originsAsked({})).toEqual(["http://169.254.169.254"]);
});

test("the profile's ec2_metadata_service_endpoint_mode and ec2_metadata_service_endpoint; the environment's over them, an endpoint over a mode", async () => {
  const ipv6 = configFile("[default]\nec2_metadata_service_endpoint_mode = IPv6\n");
  expect(await originsAsked({ AWS_CONFIG_FILE: ipv6 })).toEqual(["http://[fd00:ec2::254]"]);
  expect(
    await originsAsked({ AWS_CONFIG_FILE: ipv6, AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv4" }),
  ).toEqual(["http://169.254.169.254"]);
  const defaultEndpoint = configFile(
    "[default]\nec2_metadata_service_endpoint = http://10.0.0.9:8080\nec2_metadata_service_endpoint_mode = IPv6\n",
  );
  expect(await originsAsked({ AWS_CONFIG_FILE: defaultEndpoint })).toEqual(["http://10.0.0.9:8080"]);
  expect(
    await originsAsked({
      AWS_CONFIG_FILE: defaultEndpoint,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://10.0.0.7",
    }),
  ).toEqual(["http://10.0.0.7"]);
});

test("the credentials file's profile is read under the config file's, as smithy's loadConfig merges them", async () => {
  const credentials = join(dir, "credentials-ipv6");
  writeFileSync(credentials, "[default]\nec2_metadata_service_endpoint_mode = IPv6\n");
  // Before: the config file's profile alone read, 169.254.169.254 asked.
  expect(await originsAsked({ AWS_SHARED_CREDENTIALS_FILE: credentials })).toEqual([
    "http://[fd00:ec2::254]",
  ]);
  const ipv4 = configFile("[default]\nec2_metadata_service_endpoint_mode = IPv4\n");
  expect(await originsAsked({ AWS_CONFIG_FILE: ipv4, AWS_SHARED_CREDENTIALS_FILE: credentials })).toEqual([
    "http://169.254.169.254",
  ]);
});

test("an endpoint mode neither IPv4 nor IPv6 is refused, saying so, nothing asked (the SDKs throw 'Unsupported endpoint mode')", async () => {
  const error = await awsCredentialSource({
    provider: "br",
    region: "us-east-1",
    config: {},
    env: {
      AWS_CONFIG_FILE: "/nonexistent/c",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/c",
      AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "ipv6",
    },
    fetch: toFake,
  })
    .get()
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GatewayError);
  expect(error).toMatchObject({
    status: 502,
    message:
      'could not get credentials for upstream br: AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is "ipv6": expected IPv4 or IPv6, as the AWS SDKs read it',
  });
  expect(origins).toEqual([]);
});
