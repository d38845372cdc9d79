import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fakeImds, ROLE } from "../../testing/fake-imds.ts";
import { failureOf } from "../../testing/gateway-error-of.ts";
import { awsCredentialSource } from "./aws-credentials.ts";

// EC2 instance metadata on loopback, IMDSv1 answered while `imds.v1` (src/testing/fake-imds.ts).
const { heard, imds, onEc2, NO_FILES, source, dir } = fakeImds();

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
