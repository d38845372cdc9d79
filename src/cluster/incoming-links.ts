import { CloseCode } from "../workers/protocol.ts";
import { type DrainCount, holdWhileRunning } from "./drain-hold.ts";
import type { FrameSwitch } from "./frame-switch.ts";

/** After this long without the other node answering a close, the link is cut. */
const CLOSE_GRACE_MS = 2_000;

/** One peer link another node opened to this one (link-endpoint.ts), as a drain closes it. */
export interface IncomingLink {
  readonly frames: Pick<FrameSwitch, "whenIdle">;
  /** Writes what the link's writer holds now. */
  flush(): void;
  /** A WebSocket close: it leaves after everything written before it. */
  close(code: number, reason: string): void;
  /** Cuts the connection without a close handshake. */
  terminate(): void;
}

/**
 * The peer links other nodes opened to this one. On a drain (SIGTERM) each is closed cleanly once
 * the streams it relays are over — their last frames written first, then a WebSocket close, which
 * leaves after them — and until that close is done the link counts as a request in flight, so the
 * listener (and every socket with it) is not closed under frames still on their way. New links
 * are refused meanwhile: the other nodes forward elsewhere.
 */
export class IncomingLinks {
  private readonly open = new Map<IncomingLink, () => void>();
  private isDraining = false;

  get draining(): boolean {
    return this.isDraining;
  }

  add(link: IncomingLink): void {
    this.open.set(link, () => {});
  }

  /** The link's socket closed (either end). */
  closed(link: IncomingLink): void {
    const settle = this.open.get(link);
    this.open.delete(link);
    settle?.();
  }

  /**
   * Closes every link once idle; resolves when all are closed. Call before the lifecycle drains:
   * each link's hold is taken now (a drained lifecycle takes no new one).
   */
  drain(lifecycle?: DrainCount): Promise<void> {
    this.isDraining = true;
    return Promise.all([...this.open.keys()].map((link) => this.closeWhenIdle(link, lifecycle))).then(
      () => {},
    );
  }

  private closeWhenIdle(link: IncomingLink, lifecycle: DrainCount | undefined): Promise<void> {
    // At the request limit no hold is had: the link still closes cleanly, unwaited for.
    const release = holdWhileRunning(lifecycle) ?? (() => {});
    return new Promise((resolve) => {
      let cut: ReturnType<typeof setTimeout> | undefined;
      this.open.set(link, () => {
        clearTimeout(cut);
        release();
        resolve();
      });
      link.frames.whenIdle(() => {
        if (!this.open.has(link)) return;
        link.flush();
        link.close(CloseCode.goingAway, "node stopping");
        cut = setTimeout(() => link.terminate(), CLOSE_GRACE_MS);
        cut.unref?.();
      });
    });
  }
}
