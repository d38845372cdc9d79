import { createHash, randomUUID } from "node:crypto";
import { chmod, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import type { Expiring } from "../credentials/cached-credential.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { fetchText } from "../credentials/fetch-token.ts";
import { safeJson, withToken } from "./aws-credential-fetch.ts";
import type { AwsCredentials } from "./aws-credentials.ts";
import { awsEndpoint, SIGNIN } from "./aws-endpoint.ts";
import type { ProfileContext } from "./aws-profile-credentials.ts";
import { type AwsProfile, awsHome } from "./aws-shared-files.ts";
import { dpopProof } from "./dpop-proof.ts";

/** How long before its expiry a cached session is refreshed (@aws-sdk/credential-provider-login: 5 min). */
export const LOGIN_REFRESH_MS = 5 * 60_000;

/** The cache file's fields the SDKs require (LoginCredentialsFetcher loadToken), the rest kept as read. */
const cachedSession = z.looseObject({
  accessToken: z.looseObject({
    accessKeyId: z.string(),
    secretAccessKey: z.string(),
    sessionToken: z.string(),
    accountId: z.string(),
    expiresAt: z.string(),
  }),
  clientId: z.string(),
  refreshToken: z.string(),
  dpopKey: z.string(),
});
type CachedSession = z.infer<typeof cachedSession>;

/** Sign-In's CreateOAuth2Token answer (restJson1, the body its `tokenOutput`). */
const tokenOutput = z.looseObject({
  accessToken: z.object({
    accessKeyId: z.string().min(1),
    secretAccessKey: z.string().min(1),
    sessionToken: z.string().min(1),
  }),
  refreshToken: z.string().min(1),
  expiresIn: z.number().optional(),
});

/**
 * Where `aws login` caches the session `loginSession` (the profile's `login_session`):
 * `AWS_LOGIN_CACHE_DIRECTORY`, else `~/.aws/login/cache`, the file named by the hex SHA-256 of
 * the session's name.
 */
export function loginCachePath(loginSession: string, env: Record<string, string | undefined>): string {
  const directory = env.AWS_LOGIN_CACHE_DIRECTORY || join(awsHome(env), ".aws", "login", "cache");
  return join(directory, `${createHash("sha256").update(loginSession, "utf8").digest("hex")}.json`);
}

/**
 * An `aws login` profile's credentials, as @aws-sdk/credential-provider-login gets them: the
 * cached session's keys, unless they expire within 5 minutes; then the session is refreshed at
 * AWS Sign-In (CreateOAuth2Token, `POST /v1/token`, grant_type refresh_token, with a DPoP proof
 * signed by the cached key) and the cache file rewritten with the new keys and refresh token. A
 * session that cannot be read or refreshed fails saying to run `aws login` again; the file's path
 * goes to the log alone.
 */
export async function loginCredentials(
  name: string,
  profile: AwsProfile,
  context: ProfileContext,
): Promise<Expiring<AwsCredentials>> {
  const path = loginCachePath(profile.login_session ?? "", context.env);
  const again = `run \`aws login --profile ${name}\` again`;
  const fail = (why: string, cause?: unknown) =>
    credentialFailure(context.provider, `the AWS profile ${name}: ${why}`, {
      detail: path,
      ...(cause === undefined ? {} : { cause }),
    });
  const text = await readFile(path, "utf8").catch((error: unknown) => {
    throw fail(`its \`aws login\` session is not in the login cache: ${again}`, error);
  });
  const unwritten = unwrittenSessions.get(path);
  let session: CachedSession;
  if (unwritten?.over === text) session = unwritten.session;
  else {
    const read = cachedSession.safeParse(safeJson(text));
    if (!read.success) {
      const lacking = read.error.issues.map((issue) => issue.path.join(".")).join(", ");
      throw fail(`its cached \`aws login\` session lacks ${lacking}: ${again}`);
    }
    session = read.data;
  }
  context.hold?.([session.refreshToken]);
  const now = (context.now ?? Date.now)();
  const expiresAt = Date.parse(session.accessToken.expiresAt);
  // An expiry that does not read is taken for past, not kept forever.
  if (expiresAt - now > LOGIN_REFRESH_MS) {
    const { accessKeyId, secretAccessKey, sessionToken } = session.accessToken;
    return { value: withToken(accessKeyId, secretAccessKey, sessionToken), expiresAt };
  }
  const login = { name, profile, context, path, text, again, fail };
  return refreshOnce(path, () => refreshed(session, login));
}

/** One `aws login` profile's session as `loginCredentials` read it, for its refresh. */
interface LoginAsk {
  name: string;
  profile: AwsProfile;
  context: ProfileContext;
  /** The cache file, and the text read from it. */
  path: string;
  text: string;
  /** What to do, in a failure's words (`run aws login … again`). */
  again: string;
  fail: (why: string, cause?: unknown) => Error;
}

/**
 * Sessions refreshed in this process whose cache file could not be rewritten (a read-only
 * ~/.aws), by cache file: `over`, the text they were refreshed from, still there. Sign-In spent
 * the file's refresh token, so the session is kept here and used in place of the file's until the
 * file changes (`aws login` run again) or a later refresh's write succeeds. The AWS SDK for
 * JavaScript does less (LoginCredentialsFetcher.ts refresh: saveToken's error is the refresh's,
 * the new keys and refresh token lost); the CLI and other processes need `aws login` again.
 */
const unwrittenSessions = new Map<string, { over: string; session: CachedSession }>();

/** The refreshes under way in this process, by cache file (`refreshOnce`). */
const refreshing = new Map<string, Promise<Expiring<AwsCredentials>>>();

/**
 * `refresh` of the session cached at `path`, unless one is under way: then that one's outcome.
 * Each Bedrock provider naming the profile (two regions, say) caches its own credentials, and
 * Sign-In takes a refresh token once: a second refresh of it at the same time is refused, and its
 * provider's calls told to run `aws login` again.
 */
function refreshOnce(
  path: string,
  refresh: () => Promise<Expiring<AwsCredentials>>,
): Promise<Expiring<AwsCredentials>> {
  const pending = refreshing.get(path);
  if (pending !== undefined) return pending;
  const started = refresh().finally(() => refreshing.delete(path));
  refreshing.set(path, started);
  return started;
}

/** The session refreshed at Sign-In, and written back to its cache file (`keep`). */
async function refreshed(session: CachedSession, login: LoginAsk): Promise<Expiring<AwsCredentials>> {
  const { name, profile, context, again, fail } = login;
  const endpoint = awsEndpoint(SIGNIN, profile.region || context.region, context.env, context.profile);
  if (endpoint.refused !== undefined) throw fail(endpoint.refused);
  const url = new URL(`${endpoint.url.replace(/\/+$/, "")}/v1/token`);
  const now = context.now ?? Date.now;
  const proof = await dpopProof(session.dpopKey, "POST", `${url.origin}${url.pathname}`, now()).catch(
    (error: unknown) => {
      throw fail(`its cached \`aws login\` DPoP key is not a P-256 private key: ${again}`, error);
    },
  );
  const body = JSON.stringify({
    clientId: session.clientId,
    grantType: "refresh_token",
    refreshToken: session.refreshToken,
  });
  const answer = await fetchText(
    context.provider,
    {
      url: url.href,
      init: { method: "POST", headers: { "content-type": "application/json", dpop: proof }, body },
      what: `AWS Sign-In (refreshing the \`aws login\` session of the AWS profile ${name})`,
      timeoutMs: 10_000,
    },
    context.fetch,
    now,
    { refused: (status, text) => signInRefusal(status, text, name, again) },
  );
  const output = tokenOutput.safeParse(safeJson(answer));
  if (!output.success) throw fail("AWS Sign-In's answer lacked the refreshed credentials");
  const { accessToken, refreshToken, expiresIn } = output.data;
  context.hold?.([refreshToken]);
  const expiresAt = now() + (expiresIn ?? 900) * 1000;
  const updated = {
    ...session,
    accessToken: { ...session.accessToken, ...accessToken, expiresAt: new Date(expiresAt).toISOString() },
    refreshToken,
  };
  await keep(login, updated);
  return {
    value: withToken(accessToken.accessKeyId, accessToken.secretAccessKey, accessToken.sessionToken),
    expiresAt,
  };
}

/** Sign-In's error answer (restJson1): an OAuth 2.0 code in `error`, its words in `message`. */
const signInError = z.looseObject({ error: z.string() });

/**
 * Sign-In's refusal in words saying what to do (the SDK's AccessDeniedException's): an expired or
 * revoked session, a changed password, a missing permission; any other 400, 401 or 403 too asks
 * for `aws login` again. A 429 or 5xx is said as the shared words, and tried again later.
 */
function signInRefusal(status: number, text: string, name: string, again: string): string | undefined {
  if (status !== 400 && status !== 401 && status !== 403) return undefined;
  const code = signInError.safeParse(safeJson(text)).data?.error;
  const refused = `AWS Sign-In refused to refresh the \`aws login\` session of the AWS profile ${name}`;
  switch (code) {
    case "TOKEN_EXPIRED":
      return `${refused}: it has expired (TOKEN_EXPIRED): ${again}`;
    case "USER_CREDENTIALS_CHANGED":
      return `${refused}: the user's password changed (USER_CREDENTIALS_CHANGED): ${again} with the new password`;
    case "INSUFFICIENT_PERMISSIONS":
      return `${refused}: the user lacks permission for Sign-In's CreateOAuth2Token (INSUFFICIENT_PERMISSIONS)`;
    default:
      return `${refused} (${status}${code ? ` ${code}` : ""}): ${again}`;
  }
}

/** The paths whose write was warned of (`keep`): one line a cache file until a write succeeds. */
const warnedUnwritable = new Set<string>();

/**
 * The refreshed `session` written back to its cache file; one that cannot be (a read-only
 * ~/.aws) kept for this process (`unwrittenSessions`), its keys used all the same, and said once
 * at warn: the file's path and the error's code, never its tokens.
 */
async function keep({ path, text, name, context }: LoginAsk, session: CachedSession): Promise<void> {
  try {
    await replaceFile(path, JSON.stringify(session, null, 2));
    unwrittenSessions.delete(path);
    warnedUnwritable.delete(path);
  } catch (error) {
    unwrittenSessions.set(path, { over: text, session });
    if (warnedUnwritable.has(path)) return;
    warnedUnwritable.add(path);
    context.warn?.(
      `the refreshed \`aws login\` session of the AWS profile ${name} could not be written to the login cache: this process keeps it; another will need \`aws login --profile ${name}\` again`,
      { provider: context.provider, path, error: errorCode(error) },
    );
  }
}

/** A file system error's code (`EACCES`, `EROFS`), which names no secret, else its kind. */
const errorCode = (error: unknown): string =>
  error instanceof Error && "code" in error && typeof error.code === "string" ? error.code : "unknown";

/**
 * `path` replaced by `text` at once (a temporary file beside it, renamed over it), with the
 * permissions it had: `aws login` makes it readable by its owner alone. A symbolic link (a cache
 * kept elsewhere) is written through, as the SDK's `fs.writeFile` writes it: its target replaced,
 * beside the target, the link kept.
 */
async function replaceFile(path: string, text: string): Promise<void> {
  const target = await realpath(path);
  const mode = (await stat(target)).mode & 0o777;
  const temporary = join(dirname(target), `.${randomUUID()}.tmp`);
  try {
    await writeFile(temporary, text, { mode });
    await chmod(temporary, mode);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
