import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifySigV4 } from "../../../test/fake-cloud/sigv4-verify.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { freePort } from "../../testing/free-port.ts";
import { AwsClock } from "./aws-clock.ts";
import { type AwsCredentialConfig, awsCredentialSource } from "./aws-credentials.ts";

// A loopback STS that checks each AssumeRole's SigV4 signature against the keys it knows (the
// source profile's, and those it issued), and a container credentials endpoint beside it.
interface StsCall {
  action: string | null;
  form: Record<string, string>;
  signedBy: string | undefined;
  sessionToken: string | null;
}
const keys = new Map<string, string>([["SRC", "src-secret"]]);
const calls: StsCall[] = [];
let issued = 0;
/** How far STS's clock runs ahead of the host's: a signature 15 minutes off it is refused as STS refuses one. */
let stsAheadMs = 0;
let server: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const { pathname } = new URL(req.url);
      if (pathname === "/container")
        return Response.json({ AccessKeyId: "SRC", SecretAccessKey: "src-secret", Token: "container-token" });
      // EC2 instance metadata (IMDSv2): a session token, the instance profile's role, its keys.
      if (pathname === "/latest/api/token") return new Response("imds-session");
      if (pathname === "/latest/meta-data/iam/security-credentials/") return new Response("node-role");
      if (pathname === "/latest/meta-data/iam/security-credentials/node-role")
        return Response.json({
          Code: "Success",
          AccessKeyId: "SRC",
          SecretAccessKey: "src-secret",
          Token: "imds-token",
        });
      const body = await req.text();
      const form = Object.fromEntries(new URLSearchParams(body));
      const signedBy = /Credential=([^/]+)\//.exec(req.headers.get("authorization") ?? "")?.[1];
      calls.push({
        action: form.Action ?? null,
        form,
        signedBy,
        sessionToken: req.headers.get("x-amz-security-token"),
      });
      if (form.Action === "AssumeRole") {
        const now = new Date(Date.now() + stsAheadMs);
        const wrong = verifySigV4(req, body, (id) => keys.get(id), {
          service: "sts",
          region: "us-east-1",
          now,
        });
        // STS's (query protocol) words for a signature dated off its clock, its Date saying its time.
        if (wrong === "signature expired")
          return new Response(
            `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>Signature expired: ${req.headers.get("x-amz-date")} is now earlier than the time 15 min. before STS's</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
            { status: 403, headers: { "content-type": "text/xml", date: now.toUTCString() } },
          );
        if (wrong) return new Response(`<Error><Message>${wrong}</Message></Error>`, { status: 403 });
      } else if (form.Action !== "AssumeRoleWithWebIdentity" || form.WebIdentityToken !== "oidc-token") {
        return new Response("<Error/>", { status: 400 });
      }
      issued += 1;
      keys.set(`ASIA${issued}`, `secret${issued}`);
      const expiration = new Date(Date.now() + 3_600_000).toISOString();
      const credentials = `<AccessKeyId>ASIA${issued}</AccessKeyId><SecretAccessKey>secret${issued}</SecretAccessKey><SessionToken>token${issued}</SessionToken><Expiration>${expiration}</Expiration>`;
      return new Response(
        `<${form.Action}Response><${form.Action}Result><Credentials>${credentials}</Credentials></${form.Action}Result></${form.Action}Response>`,
      );
    },
  });
});
afterAll(() => server.stop(true));

const dir = mkdtempSync(join(tmpdir(), "mindgw-aws-roles-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let written = 0;
function filesEnv(config: string, more: Record<string, string> = {}) {
  written += 1;
  const AWS_CONFIG_FILE = join(dir, `config-${written}`);
  writeFileSync(AWS_CONFIG_FILE, config);
  return {
    AWS_CONFIG_FILE,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
    AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${server.port}/`,
    AWS_EC2_METADATA_DISABLED: "true",
    ...more,
  };
}

const source = (env: Record<string, string>, config: AwsCredentialConfig = {}, clock?: AwsClock) =>
  awsCredentialSource({ provider: "br", region: "us-east-1", config, env, ...(clock ? { clock } : {}) });

const failure = async (env: Record<string, string>) => {
  const error = await source(env)
    .get()
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GatewayError);
  return (error as GatewayError).message;
};

/** The calls made by `run`. */
async function callsOf(run: () => Promise<unknown>): Promise<StsCall[]> {
  const before = calls.length;
  await run();
  return calls.slice(before);
}

const SOURCE = "[profile src]\naws_access_key_id = SRC\naws_secret_access_key = src-secret\n";

describe("role_arn with source_profile: AssumeRole at STS, signed with the source's keys", () => {
  test("the role, its session name, external id and duration; the credentials cached until near expiry", async () => {
    const env = filesEnv(
      `${SOURCE}[profile app]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = src\nrole_session_name = gw\nexternal_id = ext-1\nduration_seconds = 900\n`,
      { AWS_PROFILE: "app" },
    );
    const creds = source(env);
    let got: unknown;
    const made = await callsOf(async () => {
      got = await creds.get();
      await creds.get();
    });
    expect(made).toEqual([
      {
        action: "AssumeRole",
        form: {
          Action: "AssumeRole",
          Version: "2011-06-15",
          RoleArn: "arn:aws:iam::1:role/app",
          RoleSessionName: "gw",
          DurationSeconds: "900",
          ExternalId: "ext-1",
        },
        signedBy: "SRC",
        sessionToken: null,
      },
    ]);
    expect(got).toEqual({
      accessKeyId: `ASIA${issued}`,
      secretAccessKey: `secret${issued}`,
      sessionToken: `token${issued}`,
    });
  });

  test("STS's endpoint is resolved once per AssumeRole (the settings and shared config file read once), the same for its signature and its send", async () => {
    const files = filesEnv(
      `${SOURCE}[profile once]\nrole_arn = arn:aws:iam::1:role/once\nsource_profile = src\n`,
      {
        AWS_PROFILE: "once",
      },
    );
    let endpointReads = 0;
    const env = new Proxy(files, {
      get(target, key: string) {
        if (key === "AWS_ENDPOINT_URL_STS") endpointReads += 1;
        return target[key as keyof typeof target];
      },
    });
    const made = await callsOf(() => source(env).get());
    expect(made.map((call) => call.action)).toEqual(["AssumeRole"]);
    expect(endpointReads).toBe(1);
  });

  test("chained source profiles: each role assumed with the one before's credentials", async () => {
    const env = filesEnv(
      `${SOURCE}[profile hop]\nrole_arn = arn:aws:iam::1:role/hop\nsource_profile = src\n[profile app]\nrole_arn = arn:aws:iam::2:role/app\nsource_profile = hop\n`,
    );
    const made = await callsOf(() => source(env, { profile: "app" }).get());
    expect(made.map((c) => [c.form.RoleArn, c.signedBy, c.sessionToken])).toEqual([
      ["arn:aws:iam::1:role/hop", "SRC", null],
      ["arn:aws:iam::2:role/app", `ASIA${issued - 1}`, `token${issued - 1}`],
    ]);
    expect(made[0]?.form.RoleSessionName).toStartWith("mindgw-");
  });

  test("a profile that is its own source_profile: its keys, then its role (as the AWS CLI)", async () => {
    const env = filesEnv(
      "[default]\nrole_arn = arn:aws:iam::1:role/self\nsource_profile = default\naws_access_key_id = SRC\naws_secret_access_key = src-secret\n",
    );
    const made = await callsOf(() => source(env).get());
    expect(made.map((c) => [c.form.RoleArn, c.signedBy])).toEqual([["arn:aws:iam::1:role/self", "SRC"]]);
  });

  test("a cycle of source profiles is refused, naming the profiles, and STS is not asked", async () => {
    const env = filesEnv(
      "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n",
      { AWS_PROFILE: "a" },
    );
    let message = "";
    expect(await callsOf(async () => (message = await failure(env)))).toEqual([]);
    expect(message).toBe(
      "could not get credentials for upstream br: the AWS profile a: source_profile makes a cycle (a → b → a → b)",
    );
  });

  test("a role that asks for MFA is refused with what to do", async () => {
    const env = filesEnv(
      `${SOURCE}[profile m]\nrole_arn = r\nsource_profile = src\nmfa_serial = arn:aws:iam::1:mfa/me\n`,
      {
        AWS_PROFILE: "m",
      },
    );
    expect(await failure(env)).toContain("the AWS profile m: its role asks for an MFA code (mfa_serial)");
  });
});

describe("role_arn with credential_source, and with web_identity_token_file", () => {
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
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${server.port}`,
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
    // Before: "no AWS credentials in config, the environment (…) or the default profile (~/.aws), and EC2 instance metadata could not be reached", though a profile was named.
    expect(await failure(env)).toBe(
      "could not get credentials for upstream br: the AWS profile node: credential_source Ec2InstanceMetadata: EC2 instance metadata could not be reached: connection refused (ECONNREFUSED)",
    );
  });

  test("EcsContainer: the container endpoint's credentials sign it; a source profile with only credential_source gives them", async () => {
    const env = filesEnv(
      "[profile task]\ncredential_source = EcsContainer\n[profile app]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = task\n",
      { AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${server.port}/container` },
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

  test("the environment's web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), after a default profile without credentials", async () => {
    const tokenFile = join(dir, "env-token");
    writeFileSync(tokenFile, "oidc-token");
    const env = filesEnv("[default]\nregion = us-east-1\n", {
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: "arn:aws:iam::1:role/env",
      AWS_ROLE_SESSION_NAME: "env-session",
    });
    const made = await callsOf(() => source(env).get());
    expect(made.map((c) => [c.action, c.form.RoleArn, c.form.RoleSessionName])).toEqual([
      ["AssumeRoleWithWebIdentity", "arn:aws:iam::1:role/env", "env-session"],
    ]);
  });

  test("an empty AWS_ROLE_SESSION_NAME is unset, as in the AWS SDKs: the session is named mindgw, not sent empty", async () => {
    const tokenFile = join(dir, "env-token-unnamed");
    writeFileSync(tokenFile, "oidc-token");
    const env = filesEnv("[default]\nregion = us-east-1\n", {
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: "arn:aws:iam::1:role/env",
      AWS_ROLE_SESSION_NAME: "",
    });
    const made = await callsOf(() => source(env).get());
    expect(made.map((c) => c.form.RoleSessionName)).toEqual(["mindgw"]);
  });

  test("web_identity_token_file: AssumeRoleWithWebIdentity with the file's token, unsigned", async () => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "oidc-token\n");
    const env = filesEnv(
      `[profile eks]\nrole_arn = arn:aws:iam::1:role/eks\nweb_identity_token_file = ${tokenFile}\nrole_session_name = pod\n`,
      { AWS_PROFILE: "eks" },
    );
    const made = await callsOf(() => source(env).get());
    expect(made.map((c) => [c.action, c.form.RoleArn, c.form.RoleSessionName, c.signedBy])).toEqual([
      ["AssumeRoleWithWebIdentity", "arn:aws:iam::1:role/eks", "pod", undefined],
    ]);
  });
});

describe("AssumeRole from a host whose clock strayed", () => {
  test("STS's refusal of a signature dated off its clock corrects the provider's AWS clock, and the call is signed again by STS's time", async () => {
    stsAheadMs = 20 * 60_000;
    try {
      const env = filesEnv(
        `${SOURCE}[profile app]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = src\n`,
        {
          AWS_PROFILE: "app",
        },
      );
      const clock = new AwsClock();
      let got: unknown;
      const made = await callsOf(async () => {
        got = await source(env, {}, clock)
          .get()
          .catch((error: unknown) => (error instanceof Error ? error.message : error));
      });
      expect(got).toMatchObject({ accessKeyId: `ASIA${issued}`, sessionToken: `token${issued}` });
      expect(made.map((call) => [call.action, call.signedBy])).toEqual([
        ["AssumeRole", "SRC"],
        ["AssumeRole", "SRC"],
      ]);
      // The Bedrock calls signed by the same clock now carry STS's time too.
      const signedAt = Date.parse(
        (clock.signingDate() ?? "").replace(
          /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/,
          "$1-$2-$3T$4:$5:$6Z",
        ),
      );
      expect(Math.abs(signedAt - (Date.now() + stsAheadMs))).toBeLessThan(5 * 60_000);
    } finally {
      stsAheadMs = 0;
    }
  });

  test("the refused answer is closed before the call is sent again, not left open beside the one that serves", async () => {
    stsAheadMs = 20 * 60_000;
    try {
      const env = filesEnv(
        `${SOURCE}[profile app]\nrole_arn = arn:aws:iam::1:role/strayed\nsource_profile = src\n`,
        { AWS_PROFILE: "app" },
      );
      const answers: Response[] = [];
      const watched = (async (url: string | URL | Request, init?: RequestInit) => {
        const answer = await fetch(url, init);
        answers.push(answer);
        return answer;
      }) as typeof fetch;
      const creds = awsCredentialSource({
        provider: "br",
        region: "us-east-1",
        config: {},
        env,
        clock: new AwsClock(),
        fetch: watched,
      });
      expect(await creds.get()).toMatchObject({ sessionToken: `token${issued}` });
      // The 403 (its words read from a copy) and the answer that served, both read or closed.
      expect(answers.map((answer) => [answer.status, answer.bodyUsed])).toEqual([
        [403, true],
        [200, true],
      ]);
    } finally {
      stsAheadMs = 0;
    }
  });
});
