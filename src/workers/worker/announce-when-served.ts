import { CloseCode, RESPONSES_API } from "../protocol.ts";
import type { WorkerLog } from "../worker-log.ts";
import type { ResponsesApiVerdict } from "./responses-api-verdict.ts";
import type { WorkerSession } from "./worker-session.ts";

/** What `announceWhenServed` works with, from the worker's run. */
export interface AnnounceContext {
  verdict: ResponsesApiVerdict;
  /** Aborts when the worker is stopped: its own drain takes the connection over. */
  stopped: AbortSignal;
  log: WorkerLog;
  /**
   * How long a gateway that reads no `announce` may wait for a moment with no call in flight
   * before the worker drains to register again, and how long that drain may then take before the
   * calls still in flight are cut, as a stop's drain cuts them (the worker's drain timeout).
   */
  quietWithinMs: number;
}

/**
 * While `connected` is open and the upstream has not said whether it serves /responses: asks
 * again, and once it says it does, tells the gateway on that connection (`announce`), once it is
 * registered: nothing is drained and no model goes away. A gateway that does not read the frame
 * (a release before it) is told by registering again, at the first moment nothing is in flight —
 * not drained meanwhile: it takes calls (Responses calls still translated), and none is cut — or,
 * with no such moment within `quietWithinMs` (steady traffic), drained first, its calls finishing
 * as a stop's drain's do, those still in flight after another `quietWithinMs` cut (a drain undone
 * the protocol has no frame for, and one stuck call must not keep its models draining for good):
 * the connection closed for the loop to register again at once, at the same gateway, with the
 * same models and `apis: ["responses"]`. True when it closed
 * the connection so; false when it announced in place, or the connection ended or the worker was
 * stopped first.
 */
export async function announceWhenServed(
  connected: WorkerSession,
  context: AnnounceContext,
): Promise<boolean> {
  const { log } = context;
  const ended = new AbortController();
  void connected.ended.then(() => ended.abort());
  const over = AbortSignal.any([ended.signal, context.stopped]);
  if (!(await context.verdict.askUntilKnown(over))) return false;
  // Until the gateway's `registered` came, whether it reads the frame is not known.
  if (!(await connected.registration) || over.aborted) return false;
  const announced = connected.announce([RESPONSES_API]);
  if (announced === "sent") log("info", "announced the Responses API to the gateway");
  if (announced !== "unread") return false;
  log("info", "registering again to announce the Responses API once no call is in flight", {
    in_flight: connected.inFlight,
  });
  await idleWithin(connected, over, context.quietWithinMs);
  if (over.aborted) return false;
  // Said draining first, in the same write as the close: a call the gateway sent meanwhile is
  // refused as a draining worker's (503, tried on another worker), not lost with the connection.
  connected.drain();
  if (connected.inFlight > 0) {
    log("warn", "no moment without a call in flight: draining, to register again once they finished", {
      in_flight: connected.inFlight,
      waited_ms: context.quietWithinMs,
    });
    await idleWithin(connected, over, context.quietWithinMs);
    if (over.aborted) return false;
  }
  const cut = connected.inFlight;
  if (cut === 0) {
    connected.close(CloseCode.normal, "registering again");
    return true;
  }
  log("warn", "drain deadline passed; aborting the rest to register again", {
    in_flight: cut,
    waited_ms: context.quietWithinMs,
  });
  // The words of a stop's drain deadline: the gateway ends what is still open as it ends those.
  connected.close(CloseCode.normal, `drain deadline passed with ${cut} in flight`);
  return true;
}

/** Resolves once nothing is in flight on `connected`, `signal` aborts, or `withinMs` passed. */
async function idleWithin(connected: WorkerSession, signal: AbortSignal, withinMs: number): Promise<void> {
  const timeUp = new AbortController();
  const timer = setTimeout(() => timeUp.abort(), withinMs);
  await idleUnless(connected, AbortSignal.any([signal, timeUp.signal]));
  clearTimeout(timer);
}

/** Resolves once nothing is in flight on `connected`, or `signal` aborts first. */
async function idleUnless(connected: WorkerSession, signal: AbortSignal): Promise<void> {
  const aborted = new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  while (connected.inFlight > 0 && !signal.aborted) await Promise.race([connected.idle(), aborted]);
}
