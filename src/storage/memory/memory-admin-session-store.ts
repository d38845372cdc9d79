import type { AdminSessionStore, StoredAdminSession } from "../storage.ts";

/**
 * AdminSessionStore held in process memory (an embedder's storage without one, and tests).
 * Bounded: past `max` sessions the oldest is ended, so a flood of sign-ins cannot grow memory.
 */
export function createMemoryAdminSessionStore(max = 10_000): AdminSessionStore {
  const sessions = new Map<string, StoredAdminSession>();
  return {
    async save(session) {
      while (sessions.size >= max) {
        const oldest = sessions.keys().next().value;
        if (oldest === undefined) break;
        sessions.delete(oldest);
      }
      sessions.set(session.idHash, session);
    },
    async get(idHash, now) {
      const session = sessions.get(idHash);
      return session && session.expiresAt > now ? session : null;
    },
    async delete(idHash) {
      sessions.delete(idHash);
    },
    async touch(idHash, at) {
      const session = sessions.get(idHash);
      if (session) sessions.set(idHash, { ...session, usedAt: at });
    },
    async prune(now) {
      let n = 0;
      for (const [id, session] of sessions)
        if (session.expiresAt <= now) {
          sessions.delete(id);
          n++;
        }
      return n;
    },
  };
}
