import { isModelTraffic } from "../audit/request-stats.ts";
import { monotonicClock } from "../core/steady-clock.ts";
import type { ConnectionStatus } from "./event-client.ts";
import { formatClock, oneLine } from "./format.ts";
import type { HeartbeatBounds, HeartbeatTiming } from "./heartbeat-bounds.ts";
import { OwnCalls } from "./own-calls.ts";
import { RingBuffer } from "./ring-buffer.ts";
import { markGap } from "./row-gaps.ts";
import { StatsWindow, type WindowStats } from "./stats-window.ts";
import type { TailEvent, TailRecord, TailWorker } from "./tail-event.ts";
import { UnansweredNodes } from "./unanswered-nodes.ts";
import { WorkerList, type WorkerRow } from "./worker-list.ts";

/** One line of the requests table; immutable, replaced when the request finishes. */
export interface RequestRow {
  /**
   * The store's own number for the row, unique where request ids need not be (a caller's
   * `x-request-id` is the request's id, and a caller may send one id with several requests):
   * what the view selects, follows and keys its lines by.
   */
  seq: number;
  requestId: string;
  startedAt: number;
  /** The caller's id: a key's, or a JWT caller's `jwt:<tenant>:<name>` (shown so: caller-label.ts). */
  keyId: string | null;
  keyName: string | null;
  model: string | null;
  route: string | null;
  /** The app (`apps:`) the request came through; null at the root's. */
  app: string | null;
  /** Null while the request is in flight. */
  status: number | null;
  ttfbMs: number | null;
  latencyMs: number | null;
  inputTokens: number;
  outputTokens: number;
  /** The full audit record, once finished. */
  record: TailRecord | null;
  /** A call of the admin API (front door `admin`): shown only when asked for (`--admin`, `a`). */
  admin: boolean;
  /** The tail's own call (`OwnCalls`), dropped from view once its record says so. */
  hidden?: boolean;
  /**
   * In flight at a gap in the events, its finish maybe in it: the stream `dropped` (no replay; a gateway
   * draining for a restart finishes its calls after closing streams), or `missed` (`events.missed`);
   * or `lost`: its cluster node left the cluster (`node.left`), killed, and no finish will come.
   */
  gap?: "dropped" | "missed" | "lost";
  /** The cluster node that took it, as its start said; absent off a cluster. */
  node?: string;
  /** That node's process (`request.started`'s `instance`); absent off a cluster, or from an older gateway. */
  instance?: string;
}

export type { WorkerGone, WorkerRow } from "./worker-list.ts";

export const DEFAULT_ROW_CAPACITY = 2000;

/**
 * Everything the interactive view shows, kept outside React: events are applied here as
 * they arrive (O(1) each), and the view reads a snapshot at most ~10 times a second.
 * `version` changes on every change so the view knows whether to redraw.
 */
export class TailStore {
  version = 0;
  /** Events the gateway reported dropping for this consumer. */
  missed = 0;
  status: ConnectionStatus = { state: "connecting", attempt: 1 };
  /** The latest config notice, e.g. a reload or a rejected edit. */
  notice: string | null = null;
  /** The cluster nodes that did not answer as the stream opened, said apart from `notice`. */
  private readonly unanswered = new UnansweredNodes();
  /** The request ids the tail's own calls of the admin API are sent with: their rows are hidden. */
  readonly ownCalls = new OwnCalls();
  private readonly ring: RingBuffer<RequestRow>;
  /**
   * The rows of requests in flight, by request id: several when requests share one, each
   * finished on its own row (`inFlightRow`).
   */
  private readonly inFlight = new Map<string, number[]>();
  /**
   * The header's figures, with and without the admin API's own calls: the web UI's polling and a
   * script's key changes are no model traffic, and would read as its rate, error share and p95.
   */
  private readonly traffic: StatsWindow;
  private readonly everything: StatsWindow;
  private readonly workerList: WorkerList;
  /** The stream has been live: a later `live` is a reconnect (row-gaps.ts `markGap`). */
  private everLive = false;

  constructor(
    capacity = DEFAULT_ROW_CAPACITY,
    /**
     * The clock the last minute's figures are counted on (a test's): by default the monotonic one,
     * which an NTP step never moves — on the wall clock a step back hid every figure for its length.
     */
    private readonly now: () => number = monotonicClock,
    /** How often the workers list is read (run-interactive.tsx), the slack of a heartbeat's age. */
    workersReadEveryMs = 5_000,
  ) {
    this.workerList = new WorkerList(workersReadEveryMs);
    this.ring = new RingBuffer(capacity);
    this.traffic = new StatsWindow(now());
    this.everything = new StatsWindow(now());
  }

  apply(event: TailEvent): void {
    this.version++;
    switch (event.type) {
      case "request.started":
        this.add({
          seq: this.ring.pushed,
          requestId: event.requestId,
          startedAt: event.at,
          keyId: event.keyId ?? null,
          keyName: event.keyName,
          model: event.model,
          route: null,
          app: event.app ?? null,
          status: null,
          ttfbMs: null,
          latencyMs: null,
          inputTokens: 0,
          outputTokens: 0,
          record: null,
          admin: !isModelTraffic(event),
          ...(event.node === undefined ? {} : { node: event.node }),
          ...(event.instance === undefined ? {} : { instance: event.instance }),
        });
        return;
      case "request.finished":
        this.finish(event.record);
        return;
      case "worker.connected":
        this.workerList.connected(event.worker);
        return;
      case "worker.changed":
      case "worker.draining":
        this.workerList.changed(event.worker);
        return;
      case "worker.lost":
        this.workerList.lost(event.worker, event.drained === true, event.reason);
        return;
      // A restart-only edit is not applied: say so, not "reloaded" alone. The fields come first,
      // so that a narrow pane, which cuts the line, still shows which.
      case "config.reloaded":
        this.notice = event.restartRequired?.length
          ? `${formatClock(event.at)} restart required for: ${oneLine(event.restartRequired.join(", "))} (config v${event.version} reloaded, these still as at start)`
          : `${formatClock(event.at)} config v${event.version} reloaded`;
        return;
      case "config.restart_required":
        this.notice = `${formatClock(event.at)} restart required for: ${oneLine(event.restartRequired.join(", "))} (config edit not applied, v${event.version} serves on)`;
        return;
      case "config.rejected":
        this.notice = `${formatClock(event.at)} config edit rejected: ${oneLine(event.error)}`;
        return;
      case "config.restored":
        // The file is back to what serves: the rejection or restart the notice said is over, but
        // for restart-only edits that still wait (a rejected edit undone while they do).
        this.notice = event.restartRequired?.length
          ? `${formatClock(event.at)} restart required for: ${oneLine(event.restartRequired.join(", "))} (rejected config edit undone, v${event.version} serves on)`
          : null;
        return;
      case "node.left":
        markGap(this.ring, this.inFlight, "lost", event.node, event.instance);
        this.unanswered.left(event.node);
        return;
      case "node.unanswered":
        this.unanswered.add(event.node, event.at);
        return;
      case "events.missed":
        this.missed += event.count;
        markGap(this.ring, this.inFlight, "missed");
        return;
    }
  }

  /** One line naming every node that did not answer as the stream opened, or null. */
  get unansweredNotice(): string | null {
    return this.unanswered.notice();
  }

  setStatus(status: ConnectionStatus): void {
    // Live again after a drop: a request in flight may have finished meanwhile, unseen. Its row
    // says its end is unknown; a finish that still comes (a stream cut by a proxy) replaces it.
    if (status.state === "live" && this.everLive) markGap(this.ring, this.inFlight, "dropped");
    if (status.state === "live") this.everLive = true;
    if (status.state === "live") this.unanswered.reopened();
    this.status = status;
    this.version++;
  }

  /** False once the gateway refused this credential the workers list: the pane says so. */
  get workersVisible(): boolean {
    return this.workerList.visible;
  }

  /** Whether the workers list has been read yet (or refused): until then the pane says it is being read. */
  get workersRead(): boolean {
    return this.workerList.read;
  }

  /** Whether reads of the workers list have failed before any answered (worker-list.ts). */
  get workersUnread(): boolean {
    return this.workerList.unread;
  }

  /** When a worker's heartbeat reads as late or stale (worker-list.ts). */
  get heartbeatBounds(): HeartbeatBounds {
    return this.workerList.heartbeatBounds;
  }

  /** Where the worker events stand now: pass it to `setWorkers` with the list a read sent now answers. */
  workersMark(): number {
    return this.workerList.mark();
  }

  /**
   * Replaces the workers pane with the gateway's list, read by a request sent at `sentAt`
   * (`workersMark`; by default now), but for the workers whose events came after it (worker-list.ts
   * `replace`). `heartbeats`: the gateway's heartbeat timing, as its list says it.
   */
  setWorkers(workers: TailWorker[], sentAt = this.workerList.mark(), heartbeats?: HeartbeatTiming): void {
    this.workerList.replace(workers, sentAt, heartbeats);
    this.version++;
  }

  /** A notice of the tail's own (an unknown `--tenant`), shown as a config notice is, until one replaces it. */
  setNotice(notice: string): void {
    this.notice = notice;
    this.version++;
  }

  /** The workers list is refused to this credential: the pane says so in place of the list. */
  hideWorkers(): void {
    this.workerList.hide();
    this.version++;
  }

  /** A workers read failed (no answer, a 5xx): before any answered, the pane says it could not read them. */
  workersReadFailed(): void {
    if (this.workerList.read || this.workerList.unread) return;
    this.workerList.unread = true;
    this.version++;
  }

  /** Held rows, newest first, the admin API's calls among them (the view leaves those out unless asked). */
  rows(): RequestRow[] {
    return this.ring.newestFirst().filter((row) => row.hidden !== true);
  }

  /** The `seq` the next row will have: a pause counts the rows from there (one a request, `rows`). */
  get nextSeq(): number {
    return this.ring.pushed;
  }

  /** The current version of a held row (e.g. the detail view of a request that just finished). */
  row(seq: number): RequestRow | undefined {
    return this.ring.get(seq);
  }

  workers(): WorkerRow[] {
    return this.workerList.sorted();
  }

  /** The last minute's figures: model traffic alone, or with the admin API's calls (`withAdmin`). */
  stats(withAdmin = false): WindowStats {
    return (withAdmin ? this.everything : this.traffic).snapshot(this.now());
  }

  /** Holds a row (its `seq` the ring's next); one of a request in flight is found again by its finish. */
  private add(row: RequestRow): void {
    const { seq, evicted } = this.ring.push(row);
    // The evicted row sat at `seq - capacity`: a request still in flight there is forgotten.
    if (evicted !== undefined && evicted.status === null) this.forget(evicted.requestId, evicted.seq);
    if (row.status === null) {
      const rows = this.inFlight.get(row.requestId);
      if (rows === undefined) this.inFlight.set(row.requestId, [seq]);
      else rows.push(seq);
    }
  }

  private forget(requestId: string, seq: number): void {
    const rows = this.inFlight.get(requestId);
    if (rows === undefined) return;
    const at = rows.indexOf(seq);
    if (at !== -1) rows.splice(at, 1);
    if (rows.length === 0) this.inFlight.delete(requestId);
  }

  /**
   * The in-flight row of `record`'s request, no longer in flight: of the rows of its id, one that
   * started when it did, its caller's first (two callers may send one id at the same moment).
   */
  private inFlightRow(record: TailRecord): number | undefined {
    const rows = this.inFlight.get(record.requestId);
    if (rows === undefined) return undefined;
    let found: number | undefined;
    for (const seq of rows) {
      const row = this.ring.get(seq);
      if (row === undefined || row.startedAt !== record.startedAt) continue;
      const caller = row.keyId === null ? row.keyName === record.keyName : row.keyId === record.keyId;
      if (caller) {
        found = seq;
        break;
      }
      found ??= seq;
    }
    if (found !== undefined) this.forget(record.requestId, found);
    return found;
  }

  private finish(record: TailRecord): void {
    if (this.ownCalls.took(record)) {
      // The tail's own call (its workers refresh, every few seconds): no row, no figures.
      const seq = this.inFlightRow(record);
      const held = seq === undefined ? undefined : this.ring.get(seq);
      if (seq !== undefined && held !== undefined) this.ring.set(seq, { ...held, hidden: true });
      return;
    }
    // Local receive time, not the gateway's clock: the window must not skew with clock drift.
    const at = this.now();
    const tokens = record.inputTokens + record.outputTokens;
    this.everything.add(at, record.status, record.latencyMs, tokens);
    const admin = !isModelTraffic(record);
    if (!admin) this.traffic.add(at, record.status, record.latencyMs, tokens);
    const seq = this.inFlightRow(record);
    const row: RequestRow = {
      seq: seq ?? this.ring.pushed,
      requestId: record.requestId,
      startedAt: record.startedAt,
      keyId: record.keyId,
      keyName: record.keyName,
      model: record.model,
      route: record.route,
      app: record.app ?? null,
      status: record.status,
      ttfbMs: record.ttfbMs,
      latencyMs: record.latencyMs,
      inputTokens: record.inputTokens,
      outputTokens: record.outputTokens,
      record,
      admin,
    };
    // Its in-flight row is held (one the ring let go is no longer in flight): replaced in place.
    if (seq === undefined) this.add(row);
    else this.ring.set(seq, row);
  }
}
