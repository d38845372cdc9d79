import { describe, expect, test } from "bun:test";
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { forCallers } from "../../core/for-callers.ts";
import { fakeSts } from "../../testing/fake-sts.ts";
import { readOnlyPath } from "../../testing/read-only-path.ts";
import { recordingLogger } from "../../testing/recording-logger.ts";
import { awsCredentialSource } from "./aws-credentials.ts";

// A loopback AWS Sign-In beside the fake STS (src/testing/fake-sign-in.ts): it answers a refresh
// only with a DPoP proof signed by the session's cached key, naming this request, dated now, its
// jti new; the cache folder is the fake's (AWS_LOGIN_CACHE_DIRECTORY).
const sts = fakeSts();
const { filesEnv, source, failure, callsOf, signIn } = sts;
const LOGIN = "[profile dev]\nlogin_session = arn:aws:iam::123456789012:user/dev\nregion = us-east-1\n";
const SESSION = "arn:aws:iam::123456789012:user/dev";
const MINUTE = 60_000;

describe("an `aws login` profile (login_session): its cached session, refreshed at AWS Sign-In", () => {
  test("keys that expire in more than 5 minutes: the cache's, Sign-In not asked", async () => {
    const env = filesEnv(LOGIN, { AWS_PROFILE: "dev" });
    await signIn.session(SESSION, env, { expiresInMs: 10 * MINUTE, refreshToken: "r-fresh" });
    const before = signIn.calls.length;
    const got = await source(env).get();
    expect(got.accessKeyId).toStartWith("ASIA");
    expect(got.sessionToken).toStartWith("token");
    expect(signIn.calls.length).toBe(before);
  });

  test("keys within 5 minutes of expiry: refreshed with a DPoP proof, the cache file rewritten in place, its mode kept", async () => {
    const env = filesEnv(LOGIN, { AWS_PROFILE: "dev" });
    const path = await signIn.session(SESSION, env, {
      expiresInMs: 4 * MINUTE,
      refreshToken: "r-soon",
      mode: 0o640,
    });
    const old = JSON.parse(readFileSync(path, "utf8"));
    const before = signIn.calls.length;
    const got = await source(env).get();
    const calls = signIn.calls.slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.body).toEqual({
      clientId: old.clientId,
      grantType: "refresh_token",
      refreshToken: "r-soon",
    });
    expect(calls[0]?.claims).toMatchObject({ htm: "POST", htu: `http://127.0.0.1:${sts.port}/v1/token` });
    const cached = JSON.parse(readFileSync(path, "utf8"));
    // The new keys and refresh token written back; the rest of the file as `aws login` left it.
    expect(cached).toEqual({
      ...old,
      accessToken: {
        ...old.accessToken,
        accessKeyId: got.accessKeyId,
        secretAccessKey: got.secretAccessKey,
        sessionToken: got.sessionToken,
        expiresAt: expect.any(String),
      },
      refreshToken: expect.stringMatching(/^refresh-\d+-/),
    });
    expect(got.accessKeyId).not.toBe(old.accessToken.accessKeyId);
    const lives = Date.parse(cached.accessToken.expiresAt) - Date.now();
    expect(lives).toBeGreaterThan(10 * MINUTE);
    expect(lives).toBeLessThanOrEqual(15 * MINUTE);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readdirSync(dirname(path)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    // Refreshed again with the new refresh token, which is all Sign-In now takes.
    const later = filesEnv(LOGIN, { AWS_PROFILE: "dev" });
    const soon = { ...cached, accessToken: { ...cached.accessToken, expiresAt: new Date().toISOString() } };
    await Bun.write(path, JSON.stringify(soon));
    expect((await source(later).get()).accessKeyId).not.toBe(got.accessKeyId);
  });

  test("two sources of one profile (two Bedrock providers naming it) refreshing at once: one refresh, its keys for both", async () => {
    const env = filesEnv(LOGIN, { AWS_PROFILE: "dev" });
    await signIn.session(SESSION, env, { expiresInMs: MINUTE, refreshToken: "r-shared" });
    const before = signIn.calls.length;
    // Sign-In takes a refresh token once: a second refresh of it would be refused, its provider's
    // calls told to run `aws login` again.
    const [first, second] = await Promise.all([source(env).get(), source(env).get()]);
    expect(signIn.calls.length - before).toBe(1);
    expect(second.accessKeyId).toBe(first.accessKeyId);
  });

  test("a role whose source_profile is an `aws login` profile: AssumeRole signed with the session's keys", async () => {
    const env = filesEnv(
      `${LOGIN}[profile app]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = dev\n`,
      {
        AWS_PROFILE: "app",
      },
    );
    const path = await signIn.session(SESSION, env, { expiresInMs: 10 * MINUTE, refreshToken: "r-role" });
    const cached = JSON.parse(readFileSync(path, "utf8"));
    const made = await callsOf(() => source(env).get());
    expect(made.map((call) => [call.action, call.signedBy, call.sessionToken])).toEqual([
      ["AssumeRole", cached.accessToken.accessKeyId, cached.accessToken.sessionToken],
    ]);
  });

  test("the default profile an `aws login` one: the chain's source", async () => {
    const env = filesEnv(`[default]\nlogin_session = ${SESSION}\n`);
    await signIn.session(SESSION, env, { expiresInMs: 2 * MINUTE, refreshToken: "r-default" });
    expect((await source(env).get()).accessKeyId).toStartWith("ASIA");
  });
});

test("the refresh token, the cache's and Sign-In's new one, held: taken out of what the gateway tells and writes", async () => {
  const env = filesEnv(LOGIN, { AWS_PROFILE: "dev" });
  const old = `r-${crypto.randomUUID()}`;
  const path = await signIn.session(SESSION, env, { expiresInMs: 0, refreshToken: old });
  const creds = source(env);
  await creds.get();
  const next: string = JSON.parse(readFileSync(path, "utf8")).refreshToken;
  expect(next).not.toBe(old);
  expect(forCallers(`quoted ${old} and ${next}`)).toBe("quoted [redacted] and [redacted]");
});

describe("writing a refreshed session back to the login cache, as the AWS SDK for JavaScript does", () => {
  test("a cache folder it cannot write (a read-only ~/.aws): the refreshed session kept for the process, its refresh token the next refresh's, one warning without a secret", async () => {
    const env = filesEnv(LOGIN, { AWS_PROFILE: "dev" });
    const path = await signIn.session(SESSION, env, { expiresInMs: 0, refreshToken: "r-read-only" });
    const written = readFileSync(path, "utf8");
    const { logger, lines } = recordingLogger();
    const sourceOf = () =>
      awsCredentialSource({ provider: "br", region: "us-east-1", config: {}, env, warn: logger.warn });
    const before = signIn.calls.length;
    const undo = readOnlyPath(dirname(path));
    // Keys of four minutes, within the refresh's five: each source below refreshes the session.
    signIn.expiresIn = 4 * 60;
    try {
      // Before: the write's failure was the call's, a 502, the refresh token already spent.
      const first = await sourceOf().get();
      const second = await sourceOf().get();
      expect(second.accessKeyId).not.toBe(first.accessKeyId);
      const sent = signIn.calls.slice(before).map((call) => call.body.refreshToken);
      // The second refresh sent the first's new refresh token, not the spent one the file holds.
      expect(sent).toEqual(["r-read-only", expect.stringMatching(/^refresh-\d+-/)]);
      expect(readFileSync(path, "utf8")).toBe(written);
    } finally {
      signIn.expiresIn = 900;
      undo();
    }
    expect(lines).toEqual([
      {
        level: "warn",
        message:
          "the refreshed `aws login` session of the AWS profile dev could not be written to the login cache: this process keeps it; another will need `aws login --profile dev` again",
        fields: { provider: "br", path, error: expect.stringMatching(/^E[A-Z]+$/) },
      },
    ]);
    // A new `aws login` (the file written anew) is read, not the session kept.
    await signIn.session(SESSION, env, { expiresInMs: 10 * 60_000, refreshToken: "r-again" });
    const fresh = JSON.parse(readFileSync(path, "utf8"));
    expect((await sourceOf().get()).accessKeyId).toBe(fresh.accessToken.accessKeyId);
  });

  test("a cache file that is a symbolic link is written through it: the link kept, its target replaced with the mode it had", async () => {
    const env = filesEnv(LOGIN, { AWS_PROFILE: "dev" });
    const path = await signIn.session(SESSION, env, {
      expiresInMs: 0,
      refreshToken: "r-linked",
      mode: 0o640,
    });
    // The session's file kept elsewhere (a dotfiles folder, a mounted secret), linked from the cache.
    const elsewhere = join(sts.dir, "kept-elsewhere");
    mkdirSync(elsewhere, { recursive: true });
    const target = join(elsewhere, "session.json");
    renameSync(path, target);
    symlinkSync(target, path);
    const got = await source(env).get();
    // Before: the link replaced by a regular file, the target left with the spent refresh token.
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    const cached = JSON.parse(readFileSync(target, "utf8"));
    expect(cached.accessToken.accessKeyId).toBe(got.accessKeyId);
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(readdirSync(elsewhere)).toEqual(["session.json"]);
    expect(readdirSync(dirname(path)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    rmSync(path);
  });
});

describe("an `aws login` session that cannot be used: a 502 saying to run `aws login` again", () => {
  const prefix = "could not get credentials for upstream br:";

  test("expired or revoked at Sign-In (401 TOKEN_EXPIRED), a password changed (403)", async () => {
    const env = filesEnv(LOGIN, { AWS_PROFILE: "dev" });
    await signIn.session(SESSION, env, { expiresInMs: 0, refreshToken: "r-revoked" });
    signIn.end("r-revoked", "TOKEN_EXPIRED");
    expect(await failure(env)).toBe(
      `${prefix} AWS Sign-In refused to refresh the \`aws login\` session of the AWS profile dev: it has expired (TOKEN_EXPIRED): run \`aws login --profile dev\` again`,
    );
    await signIn.session(SESSION, env, { expiresInMs: 0, refreshToken: "r-password" });
    signIn.end("r-password", "USER_CREDENTIALS_CHANGED");
    expect(await failure(env)).toContain(
      "the user's password changed (USER_CREDENTIALS_CHANGED): run `aws login --profile dev` again with the new password",
    );
  });

  test("a refresh token Sign-In does not know (400 INVALID_REQUEST)", async () => {
    const env = filesEnv(LOGIN, { AWS_PROFILE: "dev" });
    const path = await signIn.session(SESSION, env, { expiresInMs: 0, refreshToken: "r-known" });
    const cached = JSON.parse(readFileSync(path, "utf8"));
    await Bun.write(path, JSON.stringify({ ...cached, refreshToken: "r-unknown" }));
    expect(await failure(env)).toBe(
      `${prefix} AWS Sign-In refused to refresh the \`aws login\` session of the AWS profile dev (400 INVALID_REQUEST): run \`aws login --profile dev\` again`,
    );
  });

  test("no session in the cache, or one lacking fields: said without the cache file's path", async () => {
    const env = filesEnv("[profile dev]\nlogin_session = arn:aws:iam::123456789012:user/nobody\n", {
      AWS_PROFILE: "dev",
    });
    expect(await failure(env)).toBe(
      `${prefix} the AWS profile dev: its \`aws login\` session is not in the login cache: run \`aws login --profile dev\` again`,
    );
    const path = await signIn.session("arn:aws:iam::123456789012:user/nobody", env, { expiresInMs: MINUTE });
    const { dpopKey: _, ...lacking } = JSON.parse(readFileSync(path, "utf8"));
    await Bun.write(path, JSON.stringify(lacking));
    expect(await failure(env)).toBe(
      `${prefix} the AWS profile dev: its cached \`aws login\` session lacks dpopKey: run \`aws login --profile dev\` again`,
    );
  });
});
