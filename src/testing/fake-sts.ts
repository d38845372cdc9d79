import { afterAll, beforeAll, expect } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifySigV4 } from "../../test/fake-cloud/sigv4-verify.ts";
import { GatewayError } from "../core/gateway-error.ts";
import type { AwsClock } from "../providers/bedrock/aws-clock.ts";
import { type AwsCredentialConfig, awsCredentialSource } from "../providers/bedrock/aws-credentials.ts";
import { FakeSignIn } from "./fake-sign-in.ts";

/** One call STS was sent: its action, its form, the key that signed it and the session token with it. */
export interface StsCall {
  action: string | null;
  form: Record<string, string>;
  signedBy: string | undefined;
  sessionToken: string | null;
}

/** A profile's source: keys STS knows (`SRC`), for a role's source profile. */
export const SOURCE = "[profile src]\naws_access_key_id = SRC\naws_secret_access_key = src-secret\n";

/** The fake STS and what the tests ask of it (`fakeSts`). */
export interface FakeSts {
  readonly port: number;
  /** A temporary folder for the test's files (token files), removed after the tests. */
  readonly dir: string;
  readonly calls: readonly StsCall[];
  /** How many keys STS has issued (`ASIA<n>`, `secret<n>`, `token<n>`). */
  readonly issued: number;
  /** How far STS's clock runs ahead of the host's: a signature 15 minutes off it is refused as STS refuses one. */
  aheadMs: number;
  /** AWS Sign-In beside STS (`/v1/token`), its keys STS's (`ASIA<n>`), its cache folder in `dir`. */
  readonly signIn: FakeSignIn;
  /**
   * An environment whose config file is `config` (no credentials file), STS and Sign-In on the
   * fake, `aws login`'s cache in `dir`, instance metadata off.
   */
  filesEnv(config: string, more?: Record<string, string>): Record<string, string>;
  source(
    env: Record<string, string>,
    config?: AwsCredentialConfig,
    clock?: AwsClock,
  ): ReturnType<typeof awsCredentialSource>;
  /** The provider `br`'s credential failure under `env`, its message. */
  failure(env: Record<string, string>): Promise<string>;
  /** The calls made by `run`. */
  callsOf(run: () => Promise<unknown>): Promise<StsCall[]>;
}

/** A test's own answer to what STS (or the endpoints beside it) is sent, in place of the fake's. */
export type StsAnswer = (req: Request) => Response | Promise<Response>;

/**
 * A loopback STS that checks each AssumeRole's SigV4 signature against the keys it knows (the
 * source profile's, and those it issued), with a container credentials endpoint (`/container`) and
 * EC2 instance metadata (IMDSv2) beside it; started before the file's tests, stopped after them,
 * its config files in a temporary folder removed. Read it from the tests only. With `own`, the
 * test's answers are STS's, and `calls` and `issued` stay empty.
 */
export function fakeSts(own?: StsAnswer): FakeSts {
  const keys = new Map<string, string>([["SRC", "src-secret"]]);
  const calls: StsCall[] = [];
  let issued = 0;
  let server: ReturnType<typeof Bun.serve> | undefined;
  const dir = mkdtempSync(join(tmpdir(), "mindgw-aws-roles-"));
  let written = 0;
  const issue = () => {
    issued += 1;
    keys.set(`ASIA${issued}`, `secret${issued}`);
    return { id: `ASIA${issued}`, secret: `secret${issued}`, token: `token${issued}` };
  };
  const signIn = new FakeSignIn(issue);

  const kit: FakeSts = {
    get port() {
      if (server?.port === undefined) throw new Error("the fake STS is read before beforeAll started it");
      return server.port;
    },
    dir,
    calls,
    get issued() {
      return issued;
    },
    aheadMs: 0,
    signIn,
    filesEnv(config, more = {}) {
      written += 1;
      const AWS_CONFIG_FILE = join(dir, `config-${written}`);
      writeFileSync(AWS_CONFIG_FILE, config);
      return {
        AWS_CONFIG_FILE,
        AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
        AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${kit.port}/`,
        AWS_ENDPOINT_URL_SIGNIN: `http://127.0.0.1:${kit.port}/`,
        AWS_LOGIN_CACHE_DIRECTORY: join(dir, "login-cache"),
        AWS_EC2_METADATA_DISABLED: "true",
        ...more,
      };
    },
    source: (env, config = {}, clock) =>
      awsCredentialSource({ provider: "br", region: "us-east-1", config, env, ...(clock ? { clock } : {}) }),
    async failure(env) {
      const error = await kit
        .source(env)
        .get()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GatewayError);
      return (error as GatewayError).message;
    },
    async callsOf(run) {
      const before = calls.length;
      await run();
      return calls.slice(before);
    },
  };

  async function answer(req: Request): Promise<Response> {
    const { pathname } = new URL(req.url);
    if (pathname === "/container")
      return Response.json({
        AccessKeyId: "SRC",
        SecretAccessKey: "src-secret",
        Token: "container-token",
        Expiration: new Date(Date.now() + 3_600_000).toISOString(),
      });
    // EC2 instance metadata (IMDSv2): a session token, the instance profile's role, its keys.
    if (pathname === "/latest/api/token") return new Response("imds-session");
    if (pathname === "/latest/meta-data/iam/security-credentials/") return new Response("node-role");
    if (pathname === "/latest/meta-data/iam/security-credentials/node-role")
      return Response.json({
        Code: "Success",
        AccessKeyId: "SRC",
        SecretAccessKey: "src-secret",
        Token: "imds-token",
        Expiration: new Date(Date.now() + 3_600_000).toISOString(),
      });
    const body = await req.text();
    if (pathname === "/v1/token") return signIn.answer(req, body);
    const form = Object.fromEntries(new URLSearchParams(body));
    const signedBy = /Credential=([^/]+)\//.exec(req.headers.get("authorization") ?? "")?.[1];
    calls.push({
      action: form.Action ?? null,
      form,
      signedBy,
      sessionToken: req.headers.get("x-amz-security-token"),
    });
    if (form.Action === "AssumeRole") {
      const now = new Date(Date.now() + kit.aheadMs);
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
    const got = issue();
    const expiration = new Date(Date.now() + 3_600_000).toISOString();
    const credentials = `<AccessKeyId>${got.id}</AccessKeyId><SecretAccessKey>${got.secret}</SecretAccessKey><SessionToken>${got.token}</SessionToken><Expiration>${expiration}</Expiration>`;
    return new Response(
      `<${form.Action}Response><${form.Action}Result><Credentials>${credentials}</Credentials></${form.Action}Result></${form.Action}Response>`,
    );
  }

  beforeAll(() => {
    server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: own ?? answer });
  });
  afterAll(() => {
    server?.stop(true);
    rmSync(dir, { recursive: true, force: true });
  });
  return kit;
}
