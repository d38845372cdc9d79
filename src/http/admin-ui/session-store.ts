import { createHash } from "node:crypto";
import { z } from "zod";
import type { Principal } from "../../auth/principal.ts";
import { roleSchema } from "../../auth/principal.ts";
import { createMemoryAdminSessionStore } from "../../storage/memory/memory-admin-session-store.ts";
import type { AdminSessionStore, StoredAdminSession } from "../../storage/storage.ts";
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
  readonly createdAt: number;
  /** The sign-in's end: `session_ttl` after it, or the credential's own expiry (a JWT's) if sooner. */
  readonly expiresAt: number;
}

export interface SessionStoreOptions {
  ttlMs: () => number;
  now?: () => number;
  /** Where sessions are kept (`Storage.adminSessions`); in this process's memory when absent. */
  backend?: AdminSessionStore;
}

/** 256 random bits, base64url: unguessable session ids and CSRF tokens. */
export const randomToken = (): string =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

/** What storage keys a session by: a leaked table does not hand out live cookies. */
export const sessionIdHash = (id: string): string => createHash("sha256").update(id).digest("hex");

/** The stored principal, read back at a boundary (the row may come from another node's version). */
const principalSchema = z
  .object({
    keyId: z.string().nullable(),
    name: z.string(),
    tenant: z.string(),
    role: roleSchema,
    models: z.array(z.string()),
    limits: z.object({
      rpm: z.number().optional(),
      tpm: z.number().optional(),
      budgetUsd: z.number().optional(),
    }),
    via: z.literal("session"),
    /** Kept beside the principal in its column (storage has no column of its own for it). */
    sso: oidcIdentitySchema.optional(),
  })
  .passthrough();

/** Expired sessions are swept at most this often, on sign-in. */
const PRUNE_EVERY_MS = 60_000;

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

  async create(
    principal: Principal,
    method: AdminSession["method"],
    sso?: OidcIdentity,
  ): Promise<AdminSession> {
    const createdAt = this.now();
    const session: AdminSession = {
      id: randomToken(),
      csrf: randomToken(),
      principal,
      method,
      keyId: method === "key" ? principal.keyId : null,
      ...(sso ? { sso } : {}),
      createdAt,
      // A session never outlives what it was opened with: a JWT of five minutes opens five minutes.
      expiresAt: Math.min(createdAt + this.options.ttlMs(), principal.expiresAt ?? Number.POSITIVE_INFINITY),
    };
    if (createdAt - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = createdAt;
      await this.backend.prune(createdAt);
    }
    await this.backend.save({
      idHash: sessionIdHash(session.id),
      csrf: session.csrf,
      principal: JSON.stringify(sso ? { ...principal, sso } : principal),
      method,
      keyId: session.keyId,
      createdAt,
      expiresAt: session.expiresAt,
    });
    return session;
  }

  /** The live session with this id; an expired one is never returned. */
  async get(id: string): Promise<AdminSession | undefined> {
    const stored = await this.backend.get(sessionIdHash(id), this.now());
    return stored ? toSession(id, stored) : undefined;
  }

  async end(id: string): Promise<void> {
    await this.backend.delete(sessionIdHash(id));
  }
}

function toSession(id: string, stored: StoredAdminSession): AdminSession | undefined {
  let principal: unknown;
  try {
    principal = JSON.parse(stored.principal);
  } catch {
    return undefined;
  }
  const parsed = principalSchema.safeParse(principal);
  if (!parsed.success) return undefined;
  const { sso, ...signedIn } = parsed.data;
  return {
    id,
    csrf: stored.csrf,
    principal: signedIn as Principal,
    method: stored.method,
    keyId: stored.keyId,
    ...(sso ? { sso } : {}),
    createdAt: stored.createdAt,
    expiresAt: stored.expiresAt,
  };
}
