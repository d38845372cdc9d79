import { generateKeyPairSync } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { calculateJwkThumbprint, EmbeddedJWK, exportJWK, jwtVerify } from "jose";
import { loginCachePath } from "../providers/bedrock/aws-login-credentials.ts";

/** Keys AWS issues, and the cloud that checks a call signed by them told of them. */
export type IssueKeys = () => { id: string; secret: string; token: string };

/** One refresh Sign-In was asked for: the proof's claims and the body, as sent. */
export interface SignInCall {
  claims: Record<string, unknown>;
  body: Record<string, unknown>;
}

/** A session the fake issued (`session`): the key it is bound to, and whether it has ended. */
interface Bound {
  thumbprint: string;
  clientId: string;
  ended?: "TOKEN_EXPIRED" | "USER_CREDENTIALS_CHANGED" | "INSUFFICIENT_PERMISSIONS";
}

/**
 * AWS Sign-In's CreateOAuth2Token (`POST …/v1/token`) for the sessions `aws login` left in a cache
 * folder, as a test writes them (`session`). A refresh is answered only with a DPoP proof signed
 * ES256 by the key its session is bound to (`typ` dpop+jwt, the key in the header), naming this
 * request (`htm`, `htu`), dated within a minute (`iat`), its `jti` never seen before, and a JSON
 * body with the session's `clientId`, `grantType` refresh_token and its refresh token; then new
 * keys (from `issue`) and a new refresh token, the old one spent. A session ended (`end`) is
 * refused as Sign-In refuses it: 401 or 403 AccessDeniedException, its OAuth code in `error`.
 * Mounted by the fakes that answer for AWS (fake-sts.ts, test/fake-cloud); read from tests only.
 */
export class FakeSignIn {
  readonly calls: SignInCall[] = [];
  private readonly sessions = new Map<string, Bound>();
  private readonly seen = new Set<string>();
  private refreshed = 0;
  /** How long the keys of a refresh live, in seconds (Sign-In's 900; a test may shorten it). */
  expiresIn = 900;

  constructor(private readonly issue: IssueKeys) {}

  /**
   * Writes the cache file of the `aws login` session `loginSession` under `env`'s cache folder:
   * keys expiring `expiresInMs` from now, a new P-256 key, the refresh token `refreshToken`.
   */
  async session(
    loginSession: string,
    env: Record<string, string | undefined>,
    { expiresInMs, refreshToken = `refresh-${loginSession}`, mode = 0o600 }: SessionOptions,
  ): Promise<string> {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const clientId = "arn:aws:signin:::devtools/same-device";
    this.sessions.set(refreshToken, {
      thumbprint: await calculateJwkThumbprint(await exportJWK(publicKey)),
      clientId,
    });
    const path = loginCachePath(loginSession, env);
    mkdirSync(dirname(path), { recursive: true });
    const keys = this.issue();
    const cached = {
      accessToken: {
        accessKeyId: keys.id,
        secretAccessKey: keys.secret,
        sessionToken: keys.token,
        accountId: "123456789012",
        expiresAt: new Date(Date.now() + expiresInMs).toISOString(),
      },
      tokenType: "aws_sigv4",
      clientId,
      refreshToken,
      idToken: "id-token",
      dpopKey: privateKey.export({ format: "pem", type: "sec1" }).toString(),
    };
    writeFileSync(path, JSON.stringify(cached, null, 2));
    // Set, not asked at creation: the umask narrows that, and a file there already keeps its own.
    chmodSync(path, mode);
    return path;
  }

  /** The session of `refreshToken` ends: its next refresh is refused with `code`. */
  end(refreshToken: string, code: NonNullable<Bound["ended"]>): void {
    const bound = this.sessions.get(refreshToken);
    if (bound) bound.ended = code;
  }

  async answer(req: Request, body: string): Promise<Response> {
    const url = new URL(req.url);
    const sent = safeObject(body);
    const problem = await this.refused(req, url, sent);
    if (problem !== undefined) return problem;
    const refreshToken = String(sent.refreshToken);
    const bound = this.sessions.get(refreshToken);
    if (bound === undefined) return error(400, "ValidationException", "INVALID_REQUEST");
    if (bound.ended === "TOKEN_EXPIRED") return error(401, "AccessDeniedException", bound.ended);
    if (bound.ended) return error(403, "AccessDeniedException", bound.ended);
    this.sessions.delete(refreshToken);
    this.refreshed += 1;
    // Unguessable, as Sign-In's are: a test may look for it held (redacted).
    const next = `refresh-${this.refreshed}-${crypto.randomUUID()}`;
    this.sessions.set(next, bound);
    const keys = this.issue();
    return Response.json({
      accessToken: { accessKeyId: keys.id, secretAccessKey: keys.secret, sessionToken: keys.token },
      tokenType: "aws_sigv4",
      expiresIn: this.expiresIn,
      refreshToken: next,
    });
  }

  /** Why the request is refused before its session is looked at (its proof, its body), or undefined. */
  private async refused(
    req: Request,
    url: URL,
    sent: Record<string, unknown>,
  ): Promise<Response | undefined> {
    const invalid = (why: string) => error(400, "ValidationException", "INVALID_REQUEST", why);
    if (req.method !== "POST") return invalid("POST only");
    let verified: Awaited<ReturnType<typeof jwtVerify>>;
    try {
      verified = await jwtVerify(req.headers.get("dpop") ?? "", EmbeddedJWK, {
        typ: "dpop+jwt",
        algorithms: ["ES256"],
      });
    } catch (cause) {
      return invalid(`DPoP proof: ${String(cause)}`);
    }
    const { payload, protectedHeader } = verified;
    this.calls.push({ claims: payload, body: sent });
    if (payload.htm !== "POST" || payload.htu !== `${url.origin}${url.pathname}`)
      return invalid("DPoP proof: htm or htu is not this request's");
    if (typeof payload.iat !== "number" || Math.abs(payload.iat - Date.now() / 1000) > 60)
      return invalid("DPoP proof: iat is not now");
    if (typeof payload.jti !== "string" || this.seen.has(payload.jti))
      return invalid("DPoP proof: jti missing or replayed");
    this.seen.add(payload.jti);
    const bound = this.sessions.get(String(sent.refreshToken));
    if (protectedHeader.jwk === undefined) return invalid("DPoP proof: no jwk");
    const thumbprint = await calculateJwkThumbprint(protectedHeader.jwk);
    if (bound !== undefined && bound.thumbprint !== thumbprint)
      return invalid("DPoP proof: not signed by the session's key");
    if (sent.grantType !== "refresh_token" || (bound !== undefined && sent.clientId !== bound.clientId))
      return invalid("grantType or clientId");
    return undefined;
  }
}

/** How a test's session is cached (`FakeSignIn.session`). */
export interface SessionOptions {
  expiresInMs: number;
  refreshToken?: string;
  /** The cache file's permissions (`aws login` writes 0600). */
  mode?: number;
}

/** Sign-In's error answer (restJson1): the exception in `x-amzn-errortype`, the OAuth code in `error`. */
const error = (status: number, type: string, code: string, message = code) =>
  Response.json({ error: code, message }, { status, headers: { "x-amzn-errortype": type } });

const safeObject = (text: string): Record<string, unknown> => {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};
