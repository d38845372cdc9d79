import { type After, afterTimeout } from "../../core/after.ts";
import {
  CloseCode,
  encodeFrame,
  type GatewayFrame,
  PROTOCOL_VERSION,
  servesResponsesApi,
  type WorkerFrame,
} from "../protocol.ts";
import type { WorkerLog } from "../worker-log.ts";
import type { WorkerIdentity } from "./admit-worker.ts";
import { keyEndedLine, keyEndWords, type WorkerKeyEnd } from "./departure-log.ts";
import { KeyNarrowing, NONE_PERMITTED } from "./key-narrowing.ts";
import { modelMatcher } from "./model-allow-list.ts";
import { WorkerFrameIntake } from "./worker-frame-intake.ts";
import { workerOwner } from "./worker-owner.ts";
import type { WorkerRegistry } from "./worker-registry.ts";
import { type TunnelTransport, WorkerTunnel } from "./worker-tunnel.ts";

export interface ConnectionDeps {
  registry: WorkerRegistry;
  identity: WorkerIdentity;
  transport: TunnelTransport;
  log: WorkerLog;
  maxMessageBytes: number;
  window?: number;
  /**
   * How long a worker whose key no longer permits any of its models may still finish what it has
   * in flight before it is refused (`keyModels`), read as the key narrows: `server.drain_timeout`
   * of the config version current then, what the gateway's own drain gives a request.
   */
  drainMs: () => number;
  /** The timer of its deadlines (the register frame's, a narrowed key's drain's); default the process's. */
  after?: After;
}

/** One socket's state machine: waits for `register`, then hands frames to its tunnel. */
export interface WorkerConnection {
  /** A message as the server delivered it: text, bytes, or text the framework already parsed. */
  message(raw: unknown): void;
  closed(code: number, reason: string): void;
  /**
   * The server closed the socket itself at a message past its limit: Bun's, when `server.max_body`
   * is no larger than `workers.max_message` (create-gateway.ts), so `message` never saw it. Said
   * and ended as a frame `message` finds too big is.
   */
  tooBig(): void;
  /**
   * The key this connection authenticated with was revoked or expired, or a reload removed its
   * tenant: end it now.
   */
  keyEnded(reason: WorkerKeyEnd): void;
  /**
   * The key's model allow-list now (an admin changed it while the worker was connected): the
   * worker is routed the models it offered that the list permits from now on. When it permits
   * none of them the worker drains: it is picked for nothing new, what it has in flight runs to its
   * end (up to `drainMs`), and then it is refused (`no_models`) as at its registration. A list
   * that permits some of them again before then calls the drain off: the worker serves on, on the
   * same connection.
   */
  keyModels(models: readonly string[]): void;
  /**
   * Its tenant's model globs as a reload now binds them (undefined: none bind it): judged with the
   * key's list as `keyModels` judges a change of that, narrowing, widening or draining the worker.
   */
  tenantModels(globs: readonly string[] | undefined): void;
}

/** The line of a connection closed for what its worker sent (a malformed frame, one too big). */
const PROTOCOL_ERROR = "worker connection closed: protocol error";

/** Why a connection closed with 1009 went, whichever limit found its frame too big. */
const TOO_BIG = "frame larger than the message limit";

export function createWorkerConnection(deps: ConnectionDeps): WorkerConnection {
  const { registry, identity, transport, log } = deps;
  const after = deps.after ?? afterTimeout();
  let tunnel: WorkerTunnel | undefined;
  /** The models the worker offered in its register (without repeats), judged again when its key changes. */
  let offered: readonly string[] = [];
  /**
   * The key's model allow-list now: as admitted at the upgrade, then as each change of the key
   * tells it (`keyModels`), one before the register frame included: a reconnect upgraded before an
   * admin narrowed the key registers with the narrowed list, not the one it was admitted with.
   */
  let allowed = identity.models;
  let tenantGlobs = identity.tenantModels;
  let inTenant = tenantGlobs && modelMatcher(tenantGlobs);
  let done = false;
  /** The worker announced its own drain (`drain` frame): a widened key does not call that one off. */
  let drainedItself = false;
  /** The worker's frames, checked and read (worker-frame-intake.ts). */
  const intake = new WorkerFrameIntake({
    fail: (problem) => fail(CloseCode.protocolError, problem),
    register,
    otherVersion: (v) =>
      reject("unsupported_version", `this gateway speaks protocol v${PROTOCOL_VERSION}, not v${v}`),
    drain: (registered) => {
      drainedItself = true;
      registry.drain(registered);
    },
    announce: (registered, apis) => registry.announce(registered, apis),
  });
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const send = (frame: GatewayFrame) => transport.send(encodeFrame(frame));
  const narrowing = new KeyNarrowing({
    registry,
    keyName: identity.name,
    log,
    drainMs: deps.drainMs,
    after,
    send,
    end: () => {
      if (done) return false;
      finish();
      return true;
    },
  });
  const cancelRegisterDeadline = after(registry.heartbeatTimeoutMs, () =>
    fail(CloseCode.protocolError, "no register frame in time"),
  );

  function fail(code: number, problem: string, said = PROTOCOL_ERROR, fields = {}): void {
    if (done) return;
    log("warn", said, { key: identity.name, worker: tunnel?.name, problem, ...fields });
    finish();
    if (tunnel) {
      registry.remove(tunnel, problem);
      tunnel.close(code, problem.slice(0, 120));
    } else transport.close(code, problem.slice(0, 120));
  }

  function finish(): void {
    done = true;
    intake.stopped = true;
    cancelRegisterDeadline();
    clearInterval(heartbeat);
    narrowing.stop();
  }

  /** A refusal said as one (a key's models, a name in use), never as a fault of the worker's frames. */
  function reject(reason: string, message: string, fields: Record<string, unknown> = {}): void {
    send({ type: "rejected", reason, message });
    const said = `worker refused at its register: ${message}`;
    fail(CloseCode.protocolError, `registration rejected: ${reason}`, said, fields);
  }

  function register(frame: Extract<WorkerFrame, { type: "register" }>): void {
    const permitted = permits(allowed);
    const models = [...new Set(frame.models)];
    const accepted = models.filter(permitted);
    const refused = models.filter((m) => !permitted(m)).map((model) => ({ model, reason: refusal(model) }));
    if (accepted.length === 0) {
      // A worker whose upstream listed no models offers none: not a question of the key.
      const why = { worker: frame.name, refused: refused.map((r) => `${r.model}: ${r.reason}`) };
      reject("no_models", models.length === 0 ? "the worker offered no models" : NONE_PERMITTED, why);
      return;
    }
    const candidate = new WorkerTunnel({
      id: crypto.randomUUID(),
      name: frame.name,
      owner: workerOwner(identity),
      tenant: identity.tenant,
      models: accepted,
      capacity: frame.concurrency,
      labels: frame.labels,
      ...(servesResponsesApi(frame.apis) ? { responsesApi: true } : {}),
      ...(frame.bodyText ? { bodyText: true } : {}),
      ...(frame.binaryRequests ? { binaryRequests: true } : {}),
      version: frame.version,
      transport,
      log,
      now: registry.now(),
      ...(deps.window ? { window: deps.window } : {}),
      settled: (answered) => registry.settled(candidate, answered),
      protocolError: (problem) => fail(CloseCode.protocolError, problem),
    });
    const added = registry.add(candidate);
    if (!added.ok) {
      reject(added.reason, added.message, { worker: frame.name });
      return;
    }
    tunnel = candidate;
    intake.tunnel = candidate;
    offered = models;
    cancelRegisterDeadline();
    if (frame.batch) transport.peerReadsBatches?.();
    const { heartbeatMs, heartbeatTimeoutMs } = registry;
    send({
      type: "registered",
      v: PROTOCOL_VERSION,
      workerId: candidate.id,
      accepted,
      refused,
      heartbeatMs,
      heartbeatTimeoutMs,
      maxMessageBytes: deps.maxMessageBytes,
      batch: true,
      binaryAnswers: true,
      announce: true,
    });
    if (refused.length > 0)
      log("warn", "worker offered models its key may not serve", {
        worker: frame.name,
        refused: refused.map((r) => r.model),
      });
    heartbeat = setInterval(() => send({ type: "heartbeat", at: Date.now() }), heartbeatMs);
  }

  /**
   * What a key's allow-list lets this connection's worker serve (an admin key's, any model), within
   * what its tenant permits: only the tenant's callers are routed to it, and they may use no other.
   */
  function permits(models: readonly string[]): (model: string) => boolean {
    const byKey = identity.role === "admin" ? () => true : modelMatcher(models);
    const tenant = inTenant;
    return tenant === undefined ? byKey : (model) => tenant(model) && byKey(model);
  }

  /** Why `register` refuses a model: its tenant's globs first, as they bind every key in it. */
  function refusal(model: string): string {
    return inTenant?.(model) === false
      ? `not permitted for this key's tenant (${identity.tenant})`
      : "not permitted for this key";
  }

  return {
    message(raw) {
      if (done) return;
      const size =
        typeof raw === "string" ? Buffer.byteLength(raw) : raw instanceof Uint8Array ? raw.byteLength : 0;
      if (size > deps.maxMessageBytes) return fail(CloseCode.tooBig, TOO_BIG);
      // Any message proves the worker alive (a heartbeat queued behind a long stream's chunks
      // must not get a busy worker removed): once a message, not once a frame of a batch.
      if (tunnel) registry.touch(tunnel);
      if (raw instanceof Uint8Array) return intake.binary(raw);
      if (raw instanceof ArrayBuffer) return intake.binary(new Uint8Array(raw));
      intake.control(raw);
    },
    tooBig() {
      fail(CloseCode.tooBig, TOO_BIG);
    },
    keyEnded(reason) {
      if (done) return;
      // `rejected` tells the worker that reconnecting with this key cannot help.
      // In words of what the worker sent (a key, or a token); the reason is the protocol's `key_*` either way.
      const why = keyEndWords(reason, identity.credential);
      send({
        type: "rejected",
        reason: `key_${reason}`,
        message: keyEndWords(reason, identity.credential, "the worker's"),
      });
      finish();
      // Said as what it is, never as a protocol error or a worker lost; its callers told so too.
      if (!tunnel) {
        log("warn", keyEndedLine(why), { key: identity.name });
        return transport.close(CloseCode.protocolError, why);
      }
      registry.keyEnded(tunnel, why);
      tunnel.close(CloseCode.protocolError, why, `was disconnected: ${why}`);
    },
    keyModels(models) {
      allowed = models;
      if (done || !tunnel) return;
      narrowing.permits(tunnel, offered.filter(permits(models)), drainedItself);
    },
    tenantModels(globs) {
      // Every reload tells it: only a change of the globs is judged.
      if (globs?.join("\n") === tenantGlobs?.join("\n")) return;
      tenantGlobs = globs;
      inTenant = globs && modelMatcher(globs);
      if (done || !tunnel) return;
      narrowing.permits(tunnel, offered.filter(permits(allowed)), drainedItself);
    },
    closed(code, reason) {
      if (done) return;
      finish();
      if (!tunnel) return;
      // 1000: the worker's own close (drained, or registering again), not a connection lost.
      const planned = code === CloseCode.normal;
      registry.remove(tunnel, `connection closed (${code}${reason ? ` ${reason}` : ""})`, planned);
      // A worker that drained and closed with requests still open (its drain deadline passed, or
      // an implementation of its own closed early): they end as a draining worker's refusal (503,
      // tried on another worker before the first event) in the words of its close, not as the
      // worker lost.
      if (planned && tunnel.draining)
        tunnel.endOpen("draining", `closed its connection while draining${reason ? ` (${reason})` : ""}`);
      tunnel.close(code, reason);
    },
  };
}
