import type { RedactBody } from "../audit/redact-body.ts";
import { redactSecrets } from "../audit/redact-body.ts";
import type { Config } from "../config/config-schema.ts";
import type { RequestObserver } from "../http/request-ledger.ts";
import type { Logger } from "../log/logger.ts";
import { PriceBook } from "../pricing/price-book.ts";
import type { RouteTable } from "../routing/route-table.ts";
import { createShadowRunner, type ShadowRunner } from "../shadow/shadow-runner.ts";
import type { ThreadRules } from "../shadow/shadow-thread-protocol.ts";
import { threadRulesOf } from "../shadow/thread-rules.ts";
import type { ShadowStore } from "../storage/storage.ts";
import { modelLabeller } from "../telemetry/metrics/labels.ts";

/** The shadow runner over the current config: its `shadow:` settings, `audit.bodies` and prices. */
export function buildShadow(
  config: () => Config,
  table: () => RouteTable,
  store: ShadowStore | undefined,
  logger: Logger,
  redact: RedactBody = redactSecrets,
): ShadowRunner {
  const books = new WeakMap<Config, PriceBook>();
  const threadRules = new WeakMap<Config, ThreadRules>();
  return createShadowRunner({
    settings: () => config().shadow,
    unsupported: () => config().translation.unsupported,
    keepAnswers: () => config().audit.bodies,
    flushMs: () => config().audit.flush_ms,
    redact,
    pricing: () => {
      const current = config();
      let book = books.get(current);
      if (!book) {
        book = new PriceBook(current);
        books.set(current, book);
      }
      return book;
    },
    // One object per config version: the runner sends it to the shadow thread when it changes.
    threadRules: () => {
      const current = config();
      let rules = threadRules.get(current);
      if (!rules) {
        rules = threadRulesOf(current);
        threadRules.set(current, rules);
      }
      return rules;
    },
    store,
    logger,
    routeFor: (target) => table().shadowRoute(target),
    // The `model` label of the request metrics (labels.ts), so shadow and primary spend line up.
    modelLabel: modelLabeller((model) => table().routedAs(model)),
  });
}

/** The request observer with the shadow runner told of each request's start and end. */
export function observeShadow(shadow: ShadowRunner, observer: RequestObserver): RequestObserver {
  return {
    started(ledger) {
      shadow.started(ledger.serial, ledger.principal);
      observer.started(ledger);
    },
    finished(record, principal, error, ledger) {
      observer.finished(record, principal, error, ledger);
      shadow.finished(record, ledger.serial);
    },
  };
}
