import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import OpenAI from "openai";
import { NOTHING_LISTENS } from "../../src/testing/off-cloud-env.ts";
import { waitForValue } from "../../src/testing/wait-for.ts";
import type { FakeCloud } from "../fake-cloud/fake-cloud.ts";
import { AWS, cloudGateway } from "./harness/cloud-gateway.ts";
import { type ConnectRecorder, startConnectRecorder } from "./harness/connect-recorder.ts";
import { tempDir } from "./harness/temp-dir.ts";

// Where a Bedrock route's calls and its STS exchange go, as the AWS SDKs find their endpoints
// (AWS SDKs and Tools reference, "Service-specific endpoints"): AWS_ENDPOINT_URL_<SERVICE>, else
// the global AWS_ENDPOINT_URL, else the shared config file's (the profile's `services` section,
// then its own `endpoint_url`), none of them under AWS_IGNORE_CONFIGURED_ENDPOINT_URLS; else AWS's
// own host. Through the compiled binary; a call meant for AWS's own host goes to a loopback
// HTTPS_PROXY that notes the CONNECT and refuses it, so nothing leaves loopback.

const clouds = cloudGateway();
let cloud: FakeCloud;
let proxy: ConnectRecorder;
const files = tempDir("mindgw-aws-endpoints-");
beforeAll(() => {
  ({ cloud } = clouds);
  proxy = startConnectRecorder();
});
afterAll(() => {
  proxy.stop();
  files.cleanup();
});

/** A gateway with one Bedrock route (static keys, or the chain's web identity) and no `base_url`, in `env`. */
async function bedrockGateway(
  env: Record<string, string>,
  keys = true,
  region = AWS.region,
  baseUrl?: string,
): Promise<OpenAI> {
  const gw = await clouds.spawn({
    env: { HTTPS_PROXY: proxy.url, ...env },
    config: {
      routing: { retries: 0 },
      providers: [
        {
          name: "br",
          type: "bedrock",
          region,
          ...(baseUrl ? { base_url: baseUrl } : {}),
          ...(keys
            ? { aws: { access_key_id: AWS.accessKeyId, secret_access_key: AWS.secretAccessKey } }
            : {}),
        },
      ],
      models: [{ name: "nova", routes: [{ provider: "br", model: "amazon.nova-lite-v1:0" }] }],
    },
  });
  return new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey ?? "", maxRetries: 0 });
}

const ask = (client: OpenAI) =>
  client.chat.completions.create({ model: "nova", messages: [{ role: "user", content: "x" }] });

/** The CONNECTs a failed call made, which is the call's host: it fails on the proxy's refusal. */
async function connectsOf(client: OpenAI): Promise<string[]> {
  const before = proxy.targets.length;
  const failure = await ask(client).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toMatchObject({ status: 502 });
  return proxy.targets.slice(before);
}

/** A shared config file of `text`, in this file's folder. */
function configFile(text: string): string {
  const path = files.file(`aws-config-${Bun.hash(text)}`);
  writeFileSync(path, text);
  return path;
}

describe("a configured endpoint", () => {
  test("the global AWS_ENDPOINT_URL reaches Bedrock", async () => {
    const client = await bedrockGateway({ AWS_ENDPOINT_URL: cloud.url });
    expect((await ask(client)).choices[0]?.message.content).toBe("Hello from bedrock. You said: x");
  });

  test("AWS_ENDPOINT_URL_BEDROCK_RUNTIME over AWS_ENDPOINT_URL", async () => {
    const client = await bedrockGateway({
      AWS_ENDPOINT_URL: `http://${NOTHING_LISTENS}`,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: cloud.url,
    });
    expect((await ask(client)).choices[0]?.message.content).toBe("Hello from bedrock. You said: x");
  });

  test("the profile's services section, then its own endpoint_url (the shared config file)", async () => {
    const services = configFile(
      `[default]\nendpoint_url = http://${NOTHING_LISTENS}\nservices = local\n\n[services local]\nbedrock_runtime =\n  endpoint_url = ${cloud.url}\n`,
    );
    const viaServices = await bedrockGateway({ AWS_CONFIG_FILE: services });
    expect((await ask(viaServices)).choices[0]?.message.content).toBe("Hello from bedrock. You said: x");
    const global = configFile(`[profile dev]\nendpoint_url = ${cloud.url}\n`);
    const viaProfile = await bedrockGateway({ AWS_CONFIG_FILE: global, AWS_PROFILE: "dev" });
    expect((await ask(viaProfile)).choices[0]?.message.content).toBe("Hello from bedrock. You said: x");
  });

  test("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: Bedrock's and STS's configured endpoints are passed over for AWS's own hosts", async () => {
    const ignored = { AWS_ENDPOINT_URL: cloud.url, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true" };
    const signed = await bedrockGateway({ ...ignored, AWS_ENDPOINT_URL_BEDROCK_RUNTIME: cloud.url });
    expect(await connectsOf(signed)).toEqual([`bedrock-runtime.${AWS.region}.amazonaws.com:443`]);
    const tokenFile = files.file("web-identity-token");
    writeFileSync(tokenFile, "token");
    const exchanged = await bedrockGateway(
      {
        ...ignored,
        AWS_ENDPOINT_URL_STS: cloud.url,
        AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
        AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/mindgw",
      },
      false,
    );
    expect(await connectsOf(exchanged)).toEqual([`sts.${AWS.region}.amazonaws.com:443`]);
  });

  test("the profile's ignore_configured_endpoint_urls, unless the environment says false", async () => {
    const file = configFile(`[default]\nignore_configured_endpoint_urls = true\n`);
    const ignoring = await bedrockGateway({ AWS_CONFIG_FILE: file, AWS_ENDPOINT_URL: cloud.url });
    expect(await connectsOf(ignoring)).toEqual([`bedrock-runtime.${AWS.region}.amazonaws.com:443`]);
    const overruled = await bedrockGateway({
      AWS_CONFIG_FILE: file,
      AWS_ENDPOINT_URL: cloud.url,
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "false",
    });
    expect((await ask(overruled)).choices[0]?.message.content).toBe("Hello from bedrock. You said: x");
  });
});

// FIPS endpoints (AWS_USE_FIPS_ENDPOINT, the profile's use_fips_endpoint), as the AWS SDKs' endpoint
// rules build them: `bedrock-runtime-fips.REGION.amazonaws.com` and `sts-fips.REGION.amazonaws.com`
// (STS in GovCloud: `sts.REGION.amazonaws.com`, FIPS already), built for any region (Bedrock lists
// FIPS endpoints in the US and Canada; elsewhere the host does not resolve, as with the SDKs), and
// the pair with a custom endpoint refused ("Invalid Configuration: FIPS and custom endpoint are not
// supported").
/** A web identity exchange's environment: no keys, so the call's first host is STS's. */
const webIdentity = () => {
  const tokenFile = files.file("web-identity-token");
  writeFileSync(tokenFile, "token");
  return { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/mindgw" };
};

describe("FIPS endpoints", () => {
  test("AWS_USE_FIPS_ENDPOINT: Bedrock's and STS's FIPS hosts", async () => {
    const signed = await bedrockGateway({ AWS_USE_FIPS_ENDPOINT: "true" }, true, "us-east-1");
    expect(await connectsOf(signed)).toEqual(["bedrock-runtime-fips.us-east-1.amazonaws.com:443"]);
    const exchanged = await bedrockGateway(
      { AWS_USE_FIPS_ENDPOINT: "true", ...webIdentity() },
      false,
      "us-east-1",
    );
    expect(await connectsOf(exchanged)).toEqual(["sts-fips.us-east-1.amazonaws.com:443"]);
    const gov = await bedrockGateway(
      { AWS_USE_FIPS_ENDPOINT: "true", ...webIdentity() },
      false,
      "us-gov-west-1",
    );
    expect(await connectsOf(gov)).toEqual(["sts.us-gov-west-1.amazonaws.com:443"]);
  });

  test("the profile's use_fips_endpoint, unless the environment says false", async () => {
    const file = configFile(`[default]\nuse_fips_endpoint = true\n`);
    const fips = await bedrockGateway({ AWS_CONFIG_FILE: file }, true, "us-west-2");
    expect(await connectsOf(fips)).toEqual(["bedrock-runtime-fips.us-west-2.amazonaws.com:443"]);
    const plain = await bedrockGateway(
      { AWS_CONFIG_FILE: file, AWS_USE_FIPS_ENDPOINT: "false" },
      true,
      "us-west-2",
    );
    expect(await connectsOf(plain)).toEqual(["bedrock-runtime.us-west-2.amazonaws.com:443"]);
  });

  test("beside a custom endpoint (configured, or base_url): each call refused, saying so, nothing sent", async () => {
    const before = clouds.callsTo(/\/converse$/).length;
    const configured = await bedrockGateway({ AWS_USE_FIPS_ENDPOINT: "true", AWS_ENDPOINT_URL: cloud.url });
    const own = await bedrockGateway({ AWS_USE_FIPS_ENDPOINT: "true" }, true, AWS.region, cloud.url);
    for (const client of [configured, own]) {
      const failure = await ask(client).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({ status: 502 });
      expect(String(failure)).toContain("FIPS and a custom endpoint are not supported together");
    }
    expect(clouds.callsTo(/\/converse$/).length).toBe(before);
  });

  test("a value other than true or false (case too): each call refused, saying so, nothing sent, as the JS SDK refuses it", async () => {
    for (const [env, said] of [
      [{ AWS_USE_FIPS_ENDPOINT: "TRUE" }, 'AWS_USE_FIPS_ENDPOINT is "TRUE"'],
      [{ AWS_USE_FIPS_ENDPOINT: "yes" }, 'AWS_USE_FIPS_ENDPOINT is "yes"'],
      [
        { AWS_CONFIG_FILE: configFile("[default]\nuse_fips_endpoint = 1\n") },
        'use_fips_endpoint of profile default is "1"',
      ],
    ] as const) {
      const before = proxy.targets.length;
      const failure = await ask(await bedrockGateway(env, true, "us-east-1")).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({ status: 502 });
      expect(String(failure)).toContain(`${said}: expected "true" or "false"`);
      expect(proxy.targets.length).toBe(before);
    }
  });

  test("beside a custom endpoint: said at start, naming the provider and both settings", async () => {
    const file = configFile(`[profile fips]\nuse_fips_endpoint = true\nendpoint_url = ${cloud.url}\n`);
    const gw = await clouds.spawn({
      env: { HTTPS_PROXY: proxy.url, AWS_CONFIG_FILE: file, AWS_PROFILE: "fips" },
      config: {
        providers: [
          {
            name: "br-fips",
            type: "bedrock",
            region: AWS.region,
            aws: { access_key_id: AWS.accessKeyId, secret_access_key: AWS.secretAccessKey },
          },
        ],
        models: [{ name: "nova", routes: [{ provider: "br-fips", model: "amazon.nova-lite-v1:0" }] }],
      },
    });
    const said = await waitForValue(
      "the start's warning",
      () => gw.stderr.all.split("\n").find((line) => line.includes("FIPS is asked")),
      30_000,
      20,
    );
    expect(said).toContain("br-fips");
    expect(said).toContain("use_fips_endpoint of profile fips");
    expect(said).toContain("endpoint_url of profile fips");
  });
});

// Dual-stack (IPv4 and IPv6) endpoints (AWS_USE_DUALSTACK_ENDPOINT, the profile's
// use_dualstack_endpoint), as the SDKs' endpoint rules build them: the partition's
// dualStackDnsSuffix (`api.aws`, China's `api.amazonwebservices.com.cn`), `-fips` beside FIPS
// (GovCloud's STS included), and the pair with a custom endpoint refused ("Invalid Configuration:
// Dualstack and custom endpoint are not supported").
describe("dual-stack endpoints", () => {
  test("AWS_USE_DUALSTACK_ENDPOINT: Bedrock's and STS's dual-stack hosts, FIPS beside it", async () => {
    const dual = { AWS_USE_DUALSTACK_ENDPOINT: "true" };
    const hosts = [
      await bedrockGateway(dual, true, "us-east-1"),
      await bedrockGateway({ ...dual, AWS_USE_FIPS_ENDPOINT: "true" }, true, "us-west-2"),
      await bedrockGateway(dual, true, "cn-north-1"),
      await bedrockGateway({ ...dual, ...webIdentity() }, false, "us-east-1"),
      await bedrockGateway(
        { ...dual, AWS_USE_FIPS_ENDPOINT: "true", ...webIdentity() },
        false,
        "us-gov-west-1",
      ),
    ];
    const asked = [];
    for (const client of hosts) asked.push(...(await connectsOf(client)));
    expect(asked).toEqual([
      "bedrock-runtime.us-east-1.api.aws:443",
      "bedrock-runtime-fips.us-west-2.api.aws:443",
      "bedrock-runtime.cn-north-1.api.amazonwebservices.com.cn:443",
      "sts.us-east-1.api.aws:443",
      "sts-fips.us-gov-west-1.api.aws:443",
    ]);
  });

  test("the profile's use_dualstack_endpoint, unless the environment says false", async () => {
    const file = configFile(`[default]\nuse_dualstack_endpoint = true\n`);
    const dual = await bedrockGateway({ AWS_CONFIG_FILE: file }, true, "eu-west-1");
    expect(await connectsOf(dual)).toEqual(["bedrock-runtime.eu-west-1.api.aws:443"]);
    const plain = await bedrockGateway(
      { AWS_CONFIG_FILE: file, AWS_USE_DUALSTACK_ENDPOINT: "false" },
      true,
      "eu-west-1",
    );
    expect(await connectsOf(plain)).toEqual(["bedrock-runtime.eu-west-1.amazonaws.com:443"]);
  });

  test("beside a custom endpoint, or as neither true nor false: each call refused, saying so, nothing sent", async () => {
    const before = { converse: clouds.callsTo(/\/converse$/).length, connects: proxy.targets.length };
    for (const [client, said] of [
      [
        await bedrockGateway({ AWS_USE_DUALSTACK_ENDPOINT: "true", AWS_ENDPOINT_URL: cloud.url }),
        "Dual-stack is asked (AWS_USE_DUALSTACK_ENDPOINT) beside a custom endpoint (AWS_ENDPOINT_URL): Dual-stack and a custom endpoint are not supported together",
      ],
      [
        await bedrockGateway({ AWS_USE_DUALSTACK_ENDPOINT: "true" }, true, AWS.region, cloud.url),
        "Dual-stack is asked (AWS_USE_DUALSTACK_ENDPOINT) beside a custom endpoint (base_url)",
      ],
      [
        await bedrockGateway({ AWS_USE_DUALSTACK_ENDPOINT: "1" }, true, "us-east-1"),
        'AWS_USE_DUALSTACK_ENDPOINT is "1": expected "true" or "false"',
      ],
    ] as const) {
      const failure = await ask(client).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({ status: 502 });
      expect(String(failure)).toContain(said);
    }
    expect(clouds.callsTo(/\/converse$/).length).toBe(before.converse);
    expect(proxy.targets.length).toBe(before.connects);
  });
});

// AWS's own hosts in the region's partition, as the AWS SDKs' partitions.json (aws-sdk-js-v3,
// util-endpoints) gives its DNS suffix: China's `amazonaws.com.cn`, the ISO partitions' own
// (`c2s.ic.gov`, `sc2s.sgov.gov`, …), FIPS included.
describe("partitions", () => {
  test("China: amazonaws.com.cn for Bedrock and STS, FIPS included", async () => {
    const signed = await bedrockGateway({}, true, "cn-north-1");
    expect(await connectsOf(signed)).toEqual(["bedrock-runtime.cn-north-1.amazonaws.com.cn:443"]);
    const fips = await bedrockGateway({ AWS_USE_FIPS_ENDPOINT: "true" }, true, "cn-northwest-1");
    expect(await connectsOf(fips)).toEqual(["bedrock-runtime-fips.cn-northwest-1.amazonaws.com.cn:443"]);
    const tokenFile = files.file("web-identity-token");
    writeFileSync(tokenFile, "token");
    const exchanged = await bedrockGateway(
      { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: "arn:aws-cn:iam::123456789012:role/mindgw" },
      false,
      "cn-north-1",
    );
    expect(await connectsOf(exchanged)).toEqual(["sts.cn-north-1.amazonaws.com.cn:443"]);
  });

  test("the ISO partitions: their own suffixes, FIPS included", async () => {
    const iso = await bedrockGateway({}, true, "us-iso-east-1");
    expect(await connectsOf(iso)).toEqual(["bedrock-runtime.us-iso-east-1.c2s.ic.gov:443"]);
    const isoB = await bedrockGateway({ AWS_USE_FIPS_ENDPOINT: "true" }, true, "us-isob-east-1");
    expect(await connectsOf(isoB)).toEqual(["bedrock-runtime-fips.us-isob-east-1.sc2s.sgov.gov:443"]);
    const isoE = await bedrockGateway({}, true, "eu-isoe-west-1");
    expect(await connectsOf(isoE)).toEqual(["bedrock-runtime.eu-isoe-west-1.cloud.adc-e.uk:443"]);
    const isoF = await bedrockGateway({}, true, "us-isof-south-1");
    expect(await connectsOf(isoF)).toEqual(["bedrock-runtime.us-isof-south-1.csp.hci.ic.gov:443"]);
  });
});
