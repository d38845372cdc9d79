import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fakeSts, SOURCE } from "../../testing/fake-sts.ts";
import { AwsClock } from "./aws-clock.ts";
import { awsCredentialSource } from "./aws-credentials.ts";

// A loopback STS that checks each AssumeRole's signature (src/testing/fake-sts.ts). A role's
// credential_source is tested in aws-profile-credential-source.test.ts.
const sts = fakeSts();
const { filesEnv, source, failure, callsOf } = sts;

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
      accessKeyId: `ASIA${sts.issued}`,
      secretAccessKey: `secret${sts.issued}`,
      sessionToken: `token${sts.issued}`,
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
      ["arn:aws:iam::2:role/app", `ASIA${sts.issued - 1}`, `token${sts.issued - 1}`],
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

describe("role_arn with web_identity_token_file, and the environment's web identity", () => {
  test("the environment's web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), after a default profile without credentials", async () => {
    const tokenFile = join(sts.dir, "env-token");
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
    const tokenFile = join(sts.dir, "env-token-unnamed");
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
    const tokenFile = join(sts.dir, "token");
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
    sts.aheadMs = 20 * 60_000;
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
      expect(got).toMatchObject({ accessKeyId: `ASIA${sts.issued}`, sessionToken: `token${sts.issued}` });
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
      expect(Math.abs(signedAt - (Date.now() + sts.aheadMs))).toBeLessThan(5 * 60_000);
    } finally {
      sts.aheadMs = 0;
    }
  });

  test("the refused answer is closed before the call is sent again, not left open beside the one that serves", async () => {
    sts.aheadMs = 20 * 60_000;
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
      expect(await creds.get()).toMatchObject({ sessionToken: `token${sts.issued}` });
      // The 403 (its words read from a copy) and the answer that served, both read or closed.
      expect(answers.map((answer) => [answer.status, answer.bodyUsed])).toEqual([
        [403, true],
        [200, true],
      ]);
    } finally {
      sts.aheadMs = 0;
    }
  });
});
