import { monotonicClock } from "../core/steady-clock.ts";
import { FrameWriter } from "../workers/frame-writer.ts";
import { WorkerTunnel } from "../workers/gateway/worker-tunnel.ts";
import { CloseCode, encodeFrame } from "../workers/protocol.ts";
import { readWorkerFrame } from "../workers/read-frame.ts";
import { readMessage } from "../workers/read-message.ts";
import { SilenceWatch } from "../workers/silence-watch.ts";
import { backoffDelay } from "../workers/worker/backoff.ts";
import type { WorkerLog } from "../workers/worker-log.ts";
import { CLUSTER_HEADER } from "./cluster-secret.ts";
import { LINK_PATH } from "./link-endpoint.ts";

/** A link not open within this long is given up: the node is taken as unreachable (`unanswered`). */
const CONNECT_TIMEOUT_MS = 3_000;
const BunWebSocket = WebSocket as unknown as new (url: string, options: Bun.WebSocketOptions) => WebSocket;

export interface PeerLinkOptions {
  node: string;
  /** The peer's `cluster.advertise_url`. */
  url: string;
  secret: string;
  /** The largest message the peer takes (`workers.max_message`, the same on every node). */
  maxMessageBytes: number;
  log: WorkerLog;
  /**
   * The clock the link's waits are timed on (the backoff before another open, the heartbeats'
   * silence): performance.now unless given. On the wall clock an NTP step back kept a failed
   * link shut (its calls over HTTP, or refused as unreachable) for as long as the step.
   */
  now?: () => number;
  /**
   * How often the link is proved alive (a heartbeat the other node answers); silent for three of
   * these, it is taken as lost — a peer frozen or cut off without a closed connection — at a tick
   * on time (a late one, this node paused, judges nothing: silence-watch.ts). Default 5 s.
   */
  heartbeatMs?: number;
}

/**
 * Node a's end of a cluster peer link: one WebSocket to another node's frame switch
 * (link-endpoint.ts), opened on first need and again after a loss, authenticated once with
 * `cluster.secret`. Over it a forwarded call is what a call to a local worker is: the gateway
 * side of a worker tunnel (worker-tunnel.ts) sends the request frame, credit and cancel, and
 * reads the head, body chunks, end and error; the link lost fails its streams as a lost worker.
 * A failed open backs off (0.5 s doubling to 30 s, jittered); until then `ready` says no, and
 * the caller forwards over HTTP — unless the open got no answer at all (`unanswered`).
 */
export class PeerLink {
  private tunnel: WorkerTunnel | undefined;
  private opening: Promise<WorkerTunnel | undefined> | undefined;
  private failures = 0;
  private retryAt = 0;
  private closed = false;
  private silent: Error | undefined;
  /** Calls sent over the link and over HTTP instead, for the status page and tests. */
  readonly sent = { link: 0, http: 0 };

  private readonly now: () => number;

  constructor(private readonly options: PeerLinkOptions) {
    this.now = options.now ?? monotonicClock;
  }

  get url(): string {
    return this.options.url;
  }

  /** The open link's tunnel, opened now if need be; undefined while it cannot be had. */
  ready(): WorkerTunnel | Promise<WorkerTunnel | undefined> | undefined {
    if (this.tunnel) return this.tunnel;
    if (this.opening) return this.opening;
    if (this.closed || this.now() < this.retryAt) return undefined;
    this.opening = this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  /** Calls are under way on the link (or it is being opened for one). */
  get busy(): boolean {
    return this.opening !== undefined || (this.tunnel?.inFlight ?? 0) > 0;
  }

  /**
   * Why the last open got no answer within its timeout (a firewall that drops, a port that takes
   * the connection and says nothing), until an open succeeds: an HTTP forward to the same URL
   * would wait as long as the route lets it, so the caller takes the node as unreachable instead.
   * Said as a connection's timeout is (`ETIMEDOUT`); undefined after an open that was answered,
   * even refused (a wrong secret: the HTTP forward says why).
   */
  get unanswered(): Error | undefined {
    return this.silent;
  }

  get state(): "open" | "opening" | "closed" {
    return this.tunnel ? "open" : this.opening ? "opening" : "closed";
  }

  close(): void {
    this.closed = true;
    this.tunnel?.close(CloseCode.goingAway, "node shutting down");
  }

  private open(): Promise<WorkerTunnel | undefined> {
    const { node, url, secret, maxMessageBytes, log } = this.options;
    return new Promise((resolve) => {
      const socket = new BunWebSocket(`${url.replace(/^http/, "ws")}${LINK_PATH}`, {
        headers: { [CLUSTER_HEADER]: secret },
        perMessageDeflate: false,
      });
      socket.binaryType = "arraybuffer";
      const live = () => socket.readyState === WebSocket.OPEN;
      // Bun's client socket cannot cork: what the writer gathers leaves as one batch message.
      const writer = new FrameWriter(
        {
          text: (text) => void (live() && socket.send(text)),
          binary: (bytes) => void (live() && socket.send(bytes)),
        },
        maxMessageBytes,
      );
      writer.peerReadsBatches();
      const tunnel = new WorkerTunnel({
        id: `link:${node}`,
        name: `@${node}`,
        owner: "cluster",
        // Never registered: what it carries names the tenant in each request (`tenant`).
        tenant: "cluster",
        models: [],
        capacity: Number.MAX_SAFE_INTEGER,
        labels: {},
        // The switch passes the client's text on, or parses it for a worker that wants it parsed.
        bodyText: true,
        transport: {
          send: (text) => writer.text(text),
          flush: writer.flush,
          // A client may close only with 1000 or 3000–4999: the code the tunnel gives stays local.
          close: (_code, reason) => {
            writer.flush();
            socket.close(1000, reason.slice(0, 120));
          },
        },
        log,
        now: Date.now(),
        maxRequestBytes: maxMessageBytes,
        // The node holding the worker judges its server's silence by what cut each call.
        tellsTimeouts: true,
      });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        socket.close();
      }, CONNECT_TIMEOUT_MS);
      let opened = false;
      let silence: SilenceWatch | undefined;
      let beat: ReturnType<typeof setInterval> | undefined;
      /** Fails the link's streams now and lets the next call open a new one. */
      const drop = (why: string) => {
        clearInterval(beat);
        if (this.tunnel === tunnel) this.tunnel = undefined;
        tunnel.close(CloseCode.goingAway, why.slice(0, 120));
      };
      const fail = (problem: string) => {
        log("warn", "cluster peer link closed: protocol error", { node, problem });
        drop(problem);
      };
      socket.onopen = () => {
        clearTimeout(timer);
        this.failures = 0;
        this.silent = undefined;
        opened = true;
        if (this.closed) {
          tunnel.close(CloseCode.goingAway, "node shutting down");
          return resolve(undefined);
        }
        this.tunnel = tunnel;
        log("info", "cluster peer link open", { node });
        const every = this.options.heartbeatMs ?? 5_000;
        const watch = new SilenceWatch(3 * every, every, this.now);
        silence = watch;
        beat = setInterval(() => {
          const silentMs = watch.silentPastTimeout();
          if (silentMs === undefined) return writer.text(encodeFrame({ type: "heartbeat", at: Date.now() }));
          // A peer frozen or cut off may never close the socket: its streams fail now.
          log("warn", "cluster peer link silent: taken as lost", { node, silent_ms: silentMs });
          drop("peer link silent");
        }, every);
        beat.unref?.();
        resolve(tunnel);
      };
      socket.onmessage = (event: MessageEvent) => {
        silence?.heard();
        const problem = readMessage(event.data, {
          control(value) {
            const parsed = readWorkerFrame(value);
            if (parsed.ok) tunnel.receive(parsed.frame);
            else fail(`malformed frame: ${parsed.problem}`);
          },
          chunk: (id, bytes) => tunnel.receiveChunk(id, bytes),
        });
        if (problem) fail(problem);
      };
      socket.onclose = (event: CloseEvent) => {
        clearTimeout(timer);
        clearInterval(beat);
        if (opened) {
          // A link that was open is re-opened by the next call that needs it; one this node
          // closed itself (it is stopping) is no loss.
          if (this.tunnel === tunnel) this.tunnel = undefined;
          // Closed by this node as it stops, or by the other one as it stops (1001): no loss.
          if (!this.closed && event.code === CloseCode.goingAway)
            log("info", "cluster peer link closed: the node is stopping", { node });
          else if (!this.closed) log("warn", "cluster peer link lost", { node, code: event.code });
        } else {
          this.retryAt = this.now() + backoffDelay(this.failures++);
          this.silent = timedOut
            ? Object.assign(new Error(`no answer within ${CONNECT_TIMEOUT_MS} ms at ${url}`), {
                code: "ETIMEDOUT",
              })
            : undefined;
          if (timedOut)
            log("warn", "cluster peer link got no answer: the node is taken as unreachable meanwhile", {
              node,
              timeout_ms: CONNECT_TIMEOUT_MS,
            });
          else
            log("warn", "cluster peer link could not be opened: forwarding over HTTP meanwhile", {
              node,
              code: event.code,
            });
          resolve(undefined);
        }
        // Every stream on it fails as a lost worker's does.
        tunnel.close(CloseCode.goingAway, "peer link closed");
      };
    });
  }
}

/** One link per peer node, kept while the node is in the directory (`keepOnly`). */
export class PeerLinks {
  private readonly links = new Map<string, PeerLink>();

  constructor(private readonly options: Omit<PeerLinkOptions, "node" | "url">) {}

  /** The link to `peer` (created, not yet opened, on first ask). */
  of(peer: { id: string; url: string }): PeerLink {
    let link = this.links.get(peer.id);
    // A node restarted elsewhere under the same name: a link to where it is now.
    if (link && link.url !== peer.url) link.close();
    if (!link || link.url !== peer.url) {
      link = new PeerLink({ ...this.options, node: peer.id, url: peer.url });
      this.links.set(peer.id, link);
    }
    return link;
  }

  /**
   * Closes and forgets the links to nodes no longer in the directory (`live`: the ids it lists, a
   * stopping node's included until its entry expires), each once no call is under way on it: a
   * node gone while it still relays finishes what it relays (called at every directory read, so an
   * idle link goes at the next).
   */
  keepOnly(live: readonly string[]): void {
    for (const [id, link] of this.links) {
      if (live.includes(id) || link.busy) continue;
      link.close();
      this.links.delete(id);
    }
  }

  status(): {
    node: string;
    state: "open" | "opening" | "closed";
    sentOverLink: number;
    sentOverHttp: number;
  }[] {
    return [...this.links.entries()].map(([node, link]) => ({
      node,
      state: link.state,
      sentOverLink: link.sent.link,
      sentOverHttp: link.sent.http,
    }));
  }

  close(): void {
    for (const link of this.links.values()) link.close();
  }
}
