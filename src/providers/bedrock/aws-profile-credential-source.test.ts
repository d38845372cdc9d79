import { describe, expect, test } from "bun:test";
import { fakeSts } from "../../testing/fake-sts.ts";
import { freePort } from "../../testing/free-port.ts";

// A loopback STS that checks each AssumeRole's signature, with a container credentials endpoint
// and EC2 instance metadata beside it (src/testing/fake-sts.ts).
const sts = fakeSts();
const { filesEnv, source, failure, callsOf } = sts;

describe("role_arn with credential_source: the source's credentials sign AssumeRole", () => {
  test("Environment: the environment's keys sign AssumeRole (though a named profile passes them over otherwise)", async () => {
    const env = filesEnv(
      "[profile ci]\nrole_arn = arn:aws:iam::1:role/ci\ncredential_source = Environment\n",
      {
        AWS_PROFILE: "ci",
        AWS_ACCESS_KEY_ID: "SRC",
        AWS_SECRET_ACCESS_KEY: "src-secret",
      },
    );
    const made = await callsOf(() => source(env).get());
    expect(made.map((c) => [c.form.RoleArn, c.signedBy])).toEqual([["arn:aws:iam::1:role/ci", "SRC"]]);
  });

  test("Ec2InstanceMetadata: the instance's credentials sign it, though AWS_EC2_METADATA_DISABLED turns off the chain's last step (resolveCredentialSource asks fromInstanceMetadata all the same)", async () => {
    // filesEnv sets AWS_EC2_METADATA_DISABLED=true. Before: a 502, "EC2 instance metadata is disabled".
    const env = filesEnv(
      "[profile node]\nrole_arn = arn:aws:iam::1:role/node\ncredential_source = Ec2InstanceMetadata\n",
      {
        AWS_PROFILE: "node",
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${sts.port}`,
      },
    );
    const made = await callsOf(() => source(env).get());
    expect(made.map((c) => [c.form.RoleArn, c.signedBy, c.sessionToken])).toEqual([
      ["arn:aws:iam::1:role/node", "SRC", "imds-token"],
    ]);
  });

  test("Ec2InstanceMetadata not there (off EC2): the 502 names the profile's credential_source, not the chain's end", async () => {
    const env = filesEnv(
      "[profile node]\nrole_arn = arn:aws:iam::1:role/node\ncredential_source = Ec2InstanceMetadata\n",
      {
        AWS_PROFILE: "node",
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${freePort()}`,
      },
    );
    // Before: "no AWS credentials in config, the environment (…) or the default profile (~/.aws), and EC2
    // instance metadata could not be reached", though a profile was named.
    expect(await failure(env)).toBe(
      "could not get credentials for upstream br: the AWS profile node: credential_source Ec2InstanceMetadata: EC2 instance metadata could not be reached: connection refused (ECONNREFUSED)",
    );
  });

  test("Ec2InstanceMetadata with an endpoint mode the AWS SDKs refuse: the 502 names the profile's credential_source too", async () => {
    const env = filesEnv(
      "[profile node]\nrole_arn = arn:aws:iam::1:role/node\ncredential_source = Ec2InstanceMetadata\n",
      { AWS_PROFILE: "node", AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv5" },
    );
    // Before: the refusal alone, naming no profile.
    expect(await failure(env)).toBe(
      'could not get credentials for upstream br: the AWS profile node: credential_source Ec2InstanceMetadata: EC2 instance metadata cannot be asked: AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is "IPv5": expected IPv4 or IPv6, as the AWS SDKs read it',
    );
  });

  test("EcsContainer: the container endpoint's credentials sign it; a source profile with only credential_source gives them", async () => {
    const env = filesEnv(
      "[profile task]\ncredential_source = EcsContainer\n[profile app]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = task\n",
      { AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${sts.port}/container` },
    );
    const made = await callsOf(() => source(env, { profile: "app" }).get());
    expect(made.map((c) => [c.form.RoleArn, c.signedBy, c.sessionToken])).toEqual([
      ["arn:aws:iam::1:role/app", "SRC", "container-token"],
    ]);
  });

  test("an unknown credential_source is refused, naming the three", async () => {
    const env = filesEnv("[default]\nrole_arn = r\ncredential_source = Lambda\n");
    expect(await failure(env)).toBe(
      "could not get credentials for upstream br: the AWS profile default: credential_source Lambda is not one of EcsContainer, Ec2InstanceMetadata or Environment",
    );
  });
});
