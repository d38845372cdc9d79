import { createHash } from "node:crypto";
import { z } from "zod";
import type { KeySessions } from "../../auth/key-sessions.ts";
import type { Principal, SessionCredential } from "../../auth/principal.ts";
import { principalFields } from "../../auth/principal-fields.ts";
import { createMemoryAdminSessionStore } from "../../storage/memory/memory-admin-session-store.ts";
import type { AdminSessionStore, StoredAdminSession } from "../../storage/storage.ts";
import { type JwtAdmission, jwtAdmissionSchema } from "./jwt-admission.ts";
import { type OidcIdentity, oidcIdentitySchema } from "./oidc-allow-list.ts";

/** One signed-in browser. The id lives only in an HttpOnly cookie; `csrf` is read by the page. */
export interface AdminSession {
  readonly id: string;
  readonly csrf: string;
  readonly principal: Principal;
  /** How the user signed in. */
  readonly method: "key" | "oidc";
  /** The admin key signed in with: the session ends when that key stops being active. */
  readonly keyId: string | null;
  /**
   * Who signed in through single sign-on, as their ID token said: the session ends as soon as
   * the current allow-list no longer admits them.
   */
  readonly sso?: OidcIdentity;
  /**
   * What admitted the JWT a session was signed in with: the session ends as soon as the current
   * `auth.jwt` no longer would.
   */
  readonly jwt?: JwtAdmission;
  readonly createdAt: number;
  /**
   * The session's end: `session_ttl` after sign-in, or its credential's expiry if sooner — a JWT's
   * as at sign-in, an admin key's as it is now (a key's expiry brought forward brings it forward).
   */
  readonly expiresAt: number;
  /** Its last use as stored (at most a minute behind): `session_idle_timeout` after it, it ends. */
  readonly usedAt: number;
}

/** A session as storage knows it: all but its id, which only the cookie holds. */
export type StoredSession = Omit<AdminSession, "id">;

/** What admitted a session besides its credential's principal, checked again on each request. */
export type SessionAdmission = Pick<AdminSession, "sso" | "jwt">;

export interface SessionStoreOptions {
  ttlMs: () => number;
  /** `admin_ui.session_idle_timeout` as configured now: a session not used this long ends. */
  idleMs: () => number;
  now?: () => number;
  /** Where sessions are kept (`Storage.adminSessions`); in this process's memory when absent. */
  backend?: AdminSessionStore;
  /** What sessions opened on this node (event streams): a session's end ends them at once. */
  live?: KeySessions;
}

/** 256 random bits, base64url: unguessable session ids and CSRF tokens. */
export const randomToken = (): string =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

/** What storage keys a session by: a leaked table does not hand out live cookies. */
export const sessionIdHash = (id: string): string => createHash("sha256").update(id).digest("hex");

/** The stored principal, read back at a boundary (the row may come from another node's version). */
const principalSchema = z
  .object({
    ...principalFields,
    tenant: z.string(),
    via: z.literal("session"),
    /** Absent from a session stored before it was kept (`credentialOf` reads it from the rest). */
    signedInWith: z.enum(["key", "jwt", "sso"]).optional(),
    /** Kept beside the principal in its column (storage has no column of its own for them). */
    sso: oidcIdentitySchema.optional(),
    jwt: jwtAdmissionSchema.optional(),
  })
  .passthrough();

/** Expired sessions are swept at most this often, on sign-in. */
const PRUNE_EVERY_MS = 60_000;

/**
 * A session's last use is stored at most this often: a click a second is not a write a second,
 * and the idle end it moves is as exact as this (config floor: two of these).
 */
const USED_AT_STEP_MS = 60_000;

/** Why a cookie names no live session: none (forged, expired, ended), or it was idle too long. */
export type SessionGone = "unknown" | "idle";

/**
 * Sessions of the web UI, kept through `Storage.adminSessions` (so they survive a restart and
 * every node sharing a database honours them) by the SHA-256 of their id only.
 */
export class SessionStore {
  private readonly now: () => number;
  private readonly backend: AdminSessionStore;
  private prunedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: SessionStoreOptions) {
    this.now = options.now ?? Date.now;
    this.backend = options.backend ?? createMemoryAdminSessionStore();
  }

  /** Opens a session for `principal`, the credential it is signed in with (or already a session's). */
  async create(
    credential: Principal,
    method: AdminSession["method"],
    admission: SessionAdmission = {},
  ): Promise<AdminSession> {
    const principal: Principal = {
      ...credential,
      via: "session",
      signedInWith: credentialOf(credential, method),
    };
    const createdAt = this.now();
    const id = randomToken();
    // A session never outlives what it was opened with: a JWT of five minutes opens five minutes.
    const expiresAt = Math.min(
      createdAt + this.options.ttlMs(),
      principal.expiresAt ?? Number.POSITIVE_INFINITY,
    );
    const session: AdminSession = {
      id,
      csrf: randomToken(),
      principal: asSession(principal, sessionIdHash(id), expiresAt),
      method,
      keyId: method === "key" ? principal.keyId : null,
      ...admissionOf(admission),
      createdAt,
      expiresAt,
      usedAt: createdAt,
    };
    if (createdAt - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = createdAt;
      await this.backend.prune(createdAt);
    }
    await this.backend.save({
      idHash: sessionIdHash(session.id),
      csrf: session.csrf,
      principal: JSON.stringify({ ...principal, ...admissionOf(admission) }),
      method,
      keyId: session.keyId,
      createdAt,
      expiresAt: session.expiresAt,
      usedAt: createdAt,
    });
    return session;
  }

  /** The live session with this id; an expired or idle one is never returned. */
  async get(id: string): Promise<AdminSession | undefined> {
    const found = await this.find(id);
    return typeof found === "string" ? undefined : found;
  }

  /** The live session with this id, or why there is none (idle: ended now for inactivity). */
  async find(id: string): Promise<AdminSession | SessionGone> {
    const found = await this.findByHash(sessionIdHash(id));
    return typeof found === "string" ? found : { ...found, id };
  }

  /** How long until the session ends for inactivity, unless used before. */
  idleEndsIn(session: StoredSession): number {
    return Math.max(0, session.usedAt + this.options.idleMs() - this.now());
  }

  /**
   * How long until the session ends unless used before: the sooner of its idle end and its own end
   * (`session_ttl` after sign-in, its key's expiry), when the page asks whether it is still open.
   */
  endsIn(session: StoredSession): number {
    return Math.min(this.idleEndsIn(session), Math.max(0, session.expiresAt - this.now()));
  }

  /**
   * Records a user's action in the session (not the page's polling: session-auth.ts), at most once
   * a minute: its idle end moves on, on every node sharing the store. Returns the session with its
   * last use as stored now.
   */
  async used(session: AdminSession): Promise<AdminSession> {
    const now = this.now();
    if (now - session.usedAt < USED_AT_STEP_MS) return session;
    await this.backend.touch(sessionIdHash(session.id), now);
    return { ...session, usedAt: now };
  }

  /**
   * The live session whose id has this hash (what its open streams are held under), ending no
   * later than `session_ttl` as configured now after its sign-in: a reload that shortens it
   * shortens the sessions open, one that lengthens it lengthens none (the stored end stays). One
   * past the shortened end is ended for good: setting `session_ttl` back brings it back no more.
   */
  async byHash(idHash: string): Promise<StoredSession | undefined> {
    const found = await this.findByHash(idHash);
    return typeof found === "string" ? undefined : found;
  }

  /**
   * As `byHash`, saying why there is none. One unused for `session_idle_timeout` as configured now
   * is ended for good too: a reload that lengthens it brings back none already found idle.
   */
  private async findByHash(idHash: string): Promise<StoredSession | SessionGone> {
    const now = this.now();
    const stored = await this.backend.get(idHash, now);
    if (!stored) return "unknown";
    const endsAt = Math.min(stored.expiresAt, stored.createdAt + this.options.ttlMs());
    const idle = usedAtOf(stored) + this.options.idleMs() <= now;
    if (endsAt <= now || idle) {
      await this.endByHash(idHash);
      return idle && endsAt > now ? "idle" : "unknown";
    }
    const session = toSession(endsAt === stored.expiresAt ? stored : { ...stored, expiresAt: endsAt });
    return session ?? "unknown";
  }

  /** Ends a session for good: it is forgotten, and what it opened on this node ends now. */
  async end(id: string): Promise<void> {
    await this.endByHash(sessionIdHash(id));
  }

  async endByHash(idHash: string): Promise<void> {
    await this.backend.delete(idHash);
    this.options.live?.endWebSession(idHash);
  }

  /** What the session opened on this node ends by `expiresAt` (its end brought forward by a reload). */
  heldUntil(idHash: string, expiresAt: number): void {
    this.options.live?.webSessionEndsBy(idHash, expiresAt);
  }

  /** The sessions (by id hash) with something open on this node. */
  heldHere(): string[] {
    return this.options.live?.openWebSessions() ?? [];
  }
}

/** The parts of an admission that are there (a stored row has no `undefined` to read back). */
const admissionOf = ({ sso, jwt }: { [K in keyof SessionAdmission]?: SessionAdmission[K] | undefined }) => ({
  ...(sso ? { sso } : {}),
  ...(jwt ? { jwt } : {}),
});

/**
 * A session with its key's rights as they are now (`credential`: the key's current principal),
 * not as they were at sign-in: narrowing the key's models, limits or expiry narrows the session
 * on its next request, and it ends no later than the key's new expiry.
 */
export function withCredentialNow<S extends StoredSession>(session: S, credential: Principal): S {
  const expiresAt = Math.min(session.expiresAt, credential.expiresAt ?? Number.POSITIVE_INFINITY);
  const signedIn = { ...credential, signedInWith: session.principal.signedInWith ?? "key" };
  return {
    ...session,
    principal: asSession(signedIn, session.principal.sessionId ?? "", expiresAt),
    expiresAt,
  };
}

/**
 * What a session was signed in with: as its principal says, or, for a principal that came as a
 * session's already (one stored before this was kept), as it reads: single sign-on by its method,
 * an admin key by the key's id kept, a JWT (`/admin/auth/login` takes one too) by none.
 */
function credentialOf(principal: Principal, method: AdminSession["method"]): SessionCredential {
  if (principal.signedInWith !== undefined) return principal.signedInWith;
  if (method === "oidc") return "sso";
  if (principal.via !== "session") return principal.via;
  return principal.keyId !== null ? "key" : "jwt";
}

/**
 * A session's principal: its key's (or its single sign-on user's) rights, ending when the session
 * does, with the session's id hash, under which what it opens is held.
 */
const asSession = (principal: Principal, sessionId: string, expiresAt: number): Principal => ({
  ...principal,
  via: "session",
  expiresAt,
  credentialExpiresAt: principal.expiresAt ?? null,
  sessionId,
});

function toSession(stored: StoredAdminSession): StoredSession | undefined {
  let principal: unknown;
  try {
    principal = JSON.parse(stored.principal);
  } catch {
    return undefined;
  }
  const parsed = principalSchema.safeParse(principal);
  if (!parsed.success) return undefined;
  const { sso, jwt, ...rest } = parsed.data;
  const signedIn = rest as Principal;
  return {
    csrf: stored.csrf,
    principal: asSession(
      { ...signedIn, signedInWith: credentialOf(signedIn, stored.method) },
      stored.idHash,
      stored.expiresAt,
    ),
    method: stored.method,
    keyId: stored.keyId,
    ...admissionOf({ sso, jwt }),
    createdAt: stored.createdAt,
    expiresAt: stored.expiresAt,
    usedAt: usedAtOf(stored),
  };
}

/**
 * A row's last use, its sign-in when it has none: an embedder's store in JavaScript, or one whose
 * rows are cast, may give none (a row from before the column), and NaN would make the session
 * never idle (failing open) and its ends NaN, null on the wire.
 */
const usedAtOf = (stored: StoredAdminSession): number =>
  Number.isFinite(stored.usedAt) ? stored.usedAt : stored.createdAt;
