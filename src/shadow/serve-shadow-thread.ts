/**
 * The shadow thread: a Worker that sends shadow copies upstream and reads their answers, so the
 * second exchange of a mirrored request (Bun's `fetch`, its `Response`, reading and parsing the
 * answer) runs off the gateway's event loop. The gateway captures the request its provider would
 * send (shadow-call.ts), posts it here with others of the same turn, and gets back the outcome.
 * A copy sent as an owned pair (`ThreadCopy.pair`) stays here whole: the thread times it out,
 * takes the primary's side when it comes, compares, prices and builds the record (the same
 * shadow-record.ts as the event loop's), and posts records back in batches as JSON text for the
 * store; the event loop only learns that the copy is done (its cap).
 */

import { redactSecrets } from "../audit/redact-body.ts";
import { afterTimeout } from "../core/after.ts";
import { messageOf } from "../core/describe-error.ts";
import { toGatewayError, unavailable, upstreamTimeout } from "../core/gateway-error.ts";
import { IdTable } from "../core/id-table.ts";
import { inTurns } from "../core/in-turns.ts";
import { loadedWithin } from "../core/loaded-within.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { unreachable } from "../providers/http/unreachable.ts";
import { createUpstreamFetch } from "../providers/http/upstream-fetch.ts";
import { agreementReady } from "./agreement.ts";
import { failed, readCopy, type ShadowOutcome } from "./read-copy.ts";
import { answerOf, type RecordRules, shadowRecord } from "./shadow-record.ts";
import type {
  ShadowThreadMessage,
  ThreadCopy,
  ThreadPrimary,
  ThreadRules,
  WireBytes,
  WireCopy,
} from "./shadow-thread-protocol.ts";
import { type ThreadCatalogue, withoutCatalogue } from "./thread-catalogue.ts";
import { messageReader, type UnpackedMessage } from "./thread-message-reader.ts";
import { ThreadOutbox } from "./thread-outbox.ts";

declare const self: Worker;

// By id in IdTables, not Maps: every copy leaves again, and a long-lived Map that entries leave
// keeps each alive through young collections until a full one (core/id-table.ts).
/** Copies in flight, by id: how to cut each off. */
const flights = new IdTable<AbortController>();
/** The copies' own timeouts. */
const after = afterTimeout();
/** Owned pairs until recorded: the copy's facts, then its outcome and the primary's side. */
const pairs = new IdTable<{ copy: ThreadCopy; outcome?: ShadowOutcome; primary?: ThreadPrimary }>();
/**
 * The gateway's own rule for upstream calls: native `fetch` while under half of Bun's per-process
 * limit, which this thread shares with the event loop's calls; past it, the lean client (no cap).
 */
const upstreamFetch = createUpstreamFetch({ inFlight: () => flights.size });

let rules: (RecordRules & { flushMs: number }) | null = null;
const outbox = new ThreadOutbox((reply) => self.postMessage(reply));

function record(id: number): void {
  const pair = pairs.get(id);
  const facts = pair?.copy.pair?.facts;
  if (!pair?.outcome || !pair.primary || !facts || !rules) return;
  pairs.delete(id);
  const source = pair.primary.answer;
  const made = shadowRecord(
    facts,
    pair.primary.facts,
    source && (() => answerOf(facts.operation, source)),
    pair.outcome,
    Date.now(),
    rules,
  );
  outbox.recorded(made, rules.flushMs);
}

function finish(id: number, outcome: ShadowOutcome): void {
  // A copy the gateway cut off already has its outcome there.
  if (!flights.delete(id)) return;
  const pair = pairs.get(id);
  if (pair) pair.outcome = outcome;
  outbox.ended(
    pair
      ? { id, outcome: null, ended: { status: outcome.status, errorClass: outcome.errorClass } }
      : { id, outcome },
  );
  if (pair) record(id);
}

async function send(copy: ThreadCopy): Promise<void> {
  const controller = new AbortController();
  flights.set(copy.id, controller);
  const clock = { started: performance.now(), ttftMs: null as number | null };
  const signal = controller.signal;
  const timeoutMs = copy.pair?.timeoutMs;
  // A timeout past setTimeout's range (30 days) waits in steps (core/after.ts), never 1 ms.
  const cancelCutOff =
    timeoutMs === undefined
      ? undefined
      : after(timeoutMs, () => controller.abort(upstreamTimeout(`shadow timed out after ${timeoutMs} ms`)));
  try {
    let response: Response;
    try {
      response = await upstreamFetch(copy.url, {
        method: "POST",
        headers: copy.headers,
        body: copy.body,
        signal,
      });
    } catch (error) {
      // As the provider's own call reads a fetch that failed before any answer (post-json.ts).
      throw signal.aborted ? error : unreachable(copy.provider, error);
    }
    finish(copy.id, await readCopy(response, copy.target, signal, clock));
  } catch (error) {
    // Cut off here (its own timeout, the stop): recorded with the reason, as on the event loop.
    finish(copy.id, failed(toGatewayError(signal.aborted && signal.reason ? signal.reason : error), clock));
  } finally {
    cancelCutOff?.();
  }
}

function adopt(next: ThreadRules): void {
  rules = {
    maxAnswer: next.maxAnswer,
    keepAnswers: next.keepAnswers,
    flushMs: next.flushMs,
    // The default hook: the runner sends pairs here only when no embedder's hook applies.
    redact: redactSecrets,
    pricing: new PriceBook(next.prices),
  };
}

function handle({ request, bytes }: UnpackedMessage): void {
  const unwire = (body: string | WireBytes) => (typeof body === "string" ? body : bytes[body.bytes]);
  const { aborts, stop } = request;
  if (request.rules) adopt(request.rules);
  for (const id of aborts) {
    const controller = flights.get(id);
    flights.delete(id);
    controller?.abort();
  }
  for (const wired of request.copies) {
    const copy = { ...wired, body: unwire(wired.body) as string | Uint8Array<ArrayBuffer> };
    if (copy.pair) pairs.set(copy.id, { copy });
    void send(copy);
  }
  for (const wired of request.primaries ?? []) {
    const pair = pairs.get(wired.id);
    if (!pair) continue;
    const { answer } = wired;
    const body = answer?.kind === "bytes" || answer?.kind === "sse" ? bytes[answer.body.bytes] : undefined;
    pair.primary =
      answer && body
        ? { ...wired, answer: { kind: answer.kind as "bytes" | "sse", body } }
        : (wired as ThreadPrimary);
    record(wired.id);
  }
  if (stop) {
    const reason = unavailable("the gateway stopped");
    for (const pair of pairs.values()) flights.get(pair.copy.id)?.abort(reason);
  }
  if (request.flush) outbox.flushAsked();
}

/** Ajv's load, where a copy's pair gives a JSON schema and it is not loaded yet. */
function agreementWait(copies: readonly WireCopy[]): Promise<void> | undefined {
  for (const copy of copies) {
    const ready = copy.pair && agreementReady(copy.pair.facts.format);
    if (ready) return ready;
  }
  return undefined;
}

/**
 * Serves the gateway's messages (shadow-thread.ts is the entry; tests give another `catalogue`).
 * The thread prices its copies' answers as it records them, synchronously: rules whose providers
 * the price catalogue prices (the shadow targets' only: shadow/thread-rules.ts) are adopted once it
 * is loaded, as on the event loop, and the messages after them are handled in turn behind the
 * load. Only then does the thread read the catalogue: a model may shadow to providers it does not
 * price. A load that fails, or does not settle within `catalogue.withinMs`, leaves the thread
 * shadowing: the rules are adopted without the catalogue's prices, and the reply says why
 * (`ShadowThreadReply.unpriced`), where the thread's failure would have ended every later copy.
 * A load that settles after its limit has the rules in force then adopted again, priced; rules
 * that come while it is still under way are adopted unpriced in their turn, never waiting for it
 * again (those that came during the first wait, as soon as it passes its limit).
 */
export function serveShadowThread(catalogue: ThreadCatalogue): void {
  const unpack = messageReader();
  const turns = inTurns(reportError);
  /** The last rules handled, as the gateway sent them (with the catalogue's providers). */
  let sent: ThreadRules | undefined;
  /** A load past its limit is awaited for a re-adoption already. */
  let awaitingLate = false;
  /**
   * A load that settles after its limit prices the copies from then on: the rules in force are
   * adopted again, whole, in turn (behind what came before), where they stayed unpriced until the
   * gateway sent rules again (a reload, which may never come).
   */
  const repricedOnceLoaded = (loading: Promise<void>) => {
    if (awaitingLate) return;
    awaitingLate = true;
    loading.then(
      () => {
        awaitingLate = false;
        void turns.take(() => {
          if (sent) adopt(sent);
        }, false);
      },
      () => {
        awaitingLate = false;
      },
    );
  };
  self.onmessage = (event: MessageEvent<ShadowThreadMessage>) => {
    // Read as it comes (the ring's space is handed back), handled in turn.
    const unpacked = unpack(event.data);
    if (!unpacked) return;
    const { request } = unpacked;
    // A pair whose request gives a JSON schema is compared with Ajv, loaded first, in a turn of its
    // own that the copies wait behind (agreement.ts).
    const ajvLoad = agreementWait(request.copies);
    if (ajvLoad) void turns.take(() => ajvLoad, false);
    const next = request.rules;
    if (next === undefined || catalogue.ready(next.prices.providers))
      void turns.take(() => {
        if (next) sent = next;
        handle(unpacked);
      }, true);
    else
      void turns.take(async () => {
        // Known late by its turn, not only as it came (rules sent while the load's first wait ran
        // find it late by then): not waited for again up to its limit, holding every message
        // behind it. These rules go unpriced, as the last did (the gateway was told why then), and
        // are the ones adopted again, priced, when the load ends.
        if (awaitingLate) {
          sent = next;
          handle({ ...unpacked, request: withoutCatalogue(request, next) });
          return;
        }
        let adopted = request;
        const loading = catalogue.load();
        try {
          const seconds = catalogue.withinMs / 1000;
          await loadedWithin(loading, catalogue.withinMs, `still loading after ${seconds} s`);
        } catch (error) {
          outbox.tellUnpriced(
            `the price catalogue did not load in the shadow thread (${messageOf(error)}): its copies are priced 0 where the catalogue would price them`,
          );
          adopted = withoutCatalogue(request, next);
          repricedOnceLoaded(loading);
        }
        sent = next;
        handle({ ...unpacked, request: adopted });
      }, false);
  };
}
