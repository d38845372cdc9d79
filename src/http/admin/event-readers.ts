import type { Principal } from "../../auth/principal.ts";
import type { CallerBinding } from "../../tenants/bind-tenant.ts";
import { readScope } from "../../tenants/read-scope.ts";

/** A live event stream open on this node: who opened it, the tenant it reads (null: every one), its end. */
interface OpenStream {
  readonly principal: Principal;
  readonly scope: string | null;
  readonly end: () => void;
}

/**
 * The live event streams (`/admin/api/events`) open on this node, each held to what its reader
 * may read under the config in force. A stream reads the scope its reader had when it opened
 * (read-scope.ts); a reload that refuses the reader (its key's tenant removed from `tenants:`)
 * or gives it another scope (a member of a tenant no longer configured, which reads nothing)
 * ends it, as a revoke does (auth/key-sessions.ts); the reader's reconnect is judged anew.
 */
export class EventReaders {
  private readonly open = new Set<OpenStream>();

  /** Holds a stream until the returned release is called (its end, however it came). */
  hold(principal: Principal, scope: string | null, end: () => void): () => void {
    const stream: OpenStream = { principal, scope, end };
    this.open.add(stream);
    return () => this.open.delete(stream);
  }

  /** Call once a config version is in force, with how it binds callers (`RequestRuntime.bindCaller`). */
  configChanged(bind: CallerBinding): void {
    for (const stream of [...this.open]) {
      if (stillReads(stream, bind)) continue;
      this.open.delete(stream);
      stream.end();
    }
  }
}

/** Whether the reader, bound as the config now binds it, still reads the stream's scope. */
function stillReads(stream: OpenStream, bind: CallerBinding): boolean {
  try {
    return readScope(bind(stream.principal)) === stream.scope;
  } catch {
    return false;
  }
}
