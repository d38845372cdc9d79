import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProviderConfig } from "../../config/config-schema.ts";
import { rejectionOf } from "../../testing/gateway-error-of.ts";
import { providerCall } from "../../testing/provider-call.ts";
import { createProvider } from "../create-provider.ts";
import { awsRegion } from "./aws-region.ts";

const dir = mkdtempSync(join(tmpdir(), "mindgw-aws-region-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const AWS_CONFIG_FILE = join(dir, "config");
writeFileSync(
  AWS_CONFIG_FILE,
  "[default]\nregion = eu-west-1\n[profile tokyo]\nregion = ap-northeast-1\n[profile none]\noutput = json\n",
);
const AWS_SHARED_CREDENTIALS_FILE = join(dir, "credentials");
writeFileSync(
  AWS_SHARED_CREDENTIALS_FILE,
  "[default]\nregion = sa-east-1\n[creds-only]\nregion = ca-central-1\n",
);
const files = { AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE };

test("the region: config's, else AWS_REGION, else the profile's (profile:, AWS_PROFILE, default), as the SDK finds a client's", () => {
  expect(awsRegion({ region: "us-east-2", profile: "tokyo" }, { ...files, AWS_REGION: "us-west-2" })).toBe(
    "us-east-2",
  );
  expect(awsRegion({ profile: "tokyo" }, { ...files, AWS_REGION: "us-west-2" })).toBe("us-west-2");
  expect(awsRegion({ profile: "tokyo" }, { ...files, AWS_PROFILE: "none" })).toBe("ap-northeast-1");
  expect(awsRegion({}, { ...files, AWS_PROFILE: "tokyo" })).toBe("ap-northeast-1");
  // The config file's region before the credentials file's, as the SDK reads a setting.
  expect(awsRegion({}, files)).toBe("eu-west-1");
  expect(awsRegion({ profile: "creds-only" }, files)).toBe("ca-central-1");
  expect(awsRegion({}, { ...files, AWS_PROFILE: "none" })).toBeUndefined();
});

test("a Bedrock provider with no region anywhere fails each call with a 502 saying where one is looked for", async () => {
  let sent = 0;
  const provider = createProvider({ name: "br", type: "bedrock" } as ProviderConfig, {
    maxSseLine: 1 << 20,
    env: { ...files, AWS_PROFILE: "none", AWS_ACCESS_KEY_ID: "A", AWS_SECRET_ACCESS_KEY: "s" },
    fetch: Object.assign(
      async () => {
        sent += 1;
        return new Response("{}");
      },
      { preconnect: () => {} },
    ) as typeof fetch,
  });
  const call = providerCall({ model: "m", messages: [{ role: "user", content: "hi" }] });
  const error = await rejectionOf(() => provider.call(call));
  expect([error.status, error.message]).toEqual([
    502,
    "upstream br has no AWS region: no region: in config, AWS_REGION unset, and no region in the profile",
  ]);
  expect(sent).toBe(0);
});
