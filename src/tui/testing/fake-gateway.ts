import type { Server } from "bun";
import type { GatewayEvent, WorkerSummary } from "../../audit/gateway-event.ts";

/**
 * A stand-in for the gateway's admin API in tests: `/admin/api/events` (SSE) and
 * `/admin/api/workers`, on 127.0.0.1. It can stop and start again on the same port to play
 * a gateway restart, answer with a forced status, or stay silent to play a dead link.
 */
export class FakeGateway {
  port = 0;
  /** Event-stream connections accepted so far. */
  connections = 0;
  /** Answer every request with this status instead (e.g. 401). */
  forceStatus: number | null = null;
  /** The error message a forced status is answered with, in OpenAI's error shape as the gateway's. */
  forcedMessage = "forced";
  /** Answer every request with a 302 to this URL instead (a proxy sending http to https). */
  redirectTo: string | null = null;
  /** Accept the event stream but never write to it. */
  silent = false;
  /** The workers list, each with when it is out of rotation until, if it is. */
  workers: (WorkerSummary & { ejectedUntil?: number })[] = [];
  /** The heartbeat timing the list says, as a gateway of this release does; none, as an older one. */
  heartbeats: { heartbeatMs: number; heartbeatTimeoutMs: number } | null = null;
  /**
   * Keys that may read the events but not the workers (403), as a tenant member's user key: the
   * gateway's roles in small.
   */
  readonly memberKeys = new Set<string>();
  /** `/admin/api/workers` requests so far, by the key that made them. */
  readonly workersReads = new Map<string, number>();
  /** URLs requested, to prove the key never travels in one. */
  readonly urlsSeen: string[] = [];
  readonly userAgents: string[] = [];
  private server: Server<undefined> | null = null;
  private readonly streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  private readonly encoder = new TextEncoder();

  constructor(readonly adminKey = "mgw_admin_test_key_0123456789") {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get liveStreams(): number {
    return this.streams.size;
  }

  /** Events written but not yet taken by the socket: they pile up here once a reader stops reading. */
  get backlog(): number {
    let most = 0;
    for (const stream of this.streams) most = Math.max(most, 1 - (stream.desiredSize ?? 1));
    return most;
  }

  start(): this {
    this.server = Bun.serve({ hostname: "127.0.0.1", port: this.port, fetch: (req) => this.handle(req) });
    this.port = this.server.port ?? 0;
    return this;
  }

  /** Closes every stream and the listener, keeping the port for `start()`. */
  async stop(): Promise<void> {
    for (const stream of this.streams) {
      try {
        stream.close();
      } catch {}
    }
    this.streams.clear();
    await this.server?.stop(true);
    this.server = null;
  }

  send(event: GatewayEvent | Record<string, unknown>, type = String(event.type)): void {
    this.write(`event: ${type}\ndata: ${JSON.stringify(event)}\n\n`);
  }

  /** Writes raw SSE text to every open stream. */
  write(text: string): void {
    const bytes = this.encoder.encode(text);
    for (const stream of this.streams) stream.enqueue(bytes);
  }

  private handle(req: Request): Response {
    const url = new URL(req.url);
    this.urlsSeen.push(req.url);
    this.userAgents.push(req.headers.get("user-agent") ?? "");
    if (this.forceStatus !== null)
      return Response.json({ error: { message: this.forcedMessage } }, { status: this.forceStatus });
    if (this.redirectTo !== null) return Response.redirect(this.redirectTo, 302);
    const key = req.headers.get("authorization")?.replace(/^Bearer /, "") ?? "";
    if (key !== this.adminKey && !this.memberKeys.has(key)) {
      return Response.json({ error: { message: "unauthorized" } }, { status: 401 });
    }
    if (url.pathname === "/admin/api/workers") {
      this.workersReads.set(key, (this.workersReads.get(key) ?? 0) + 1);
      return this.memberKeys.has(key)
        ? Response.json({ error: { message: "this credential lacks the required role" } }, { status: 403 })
        : Response.json({ workers: this.workers, ...this.heartbeats });
    }
    if (url.pathname !== "/admin/api/events") return new Response("not found", { status: 404 });
    this.connections++;
    let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
        this.streams.add(c);
        if (!this.silent) c.enqueue(this.encoder.encode(": keep-alive\n\n"));
      },
      cancel: () => {
        if (controller) this.streams.delete(controller);
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  }
}
