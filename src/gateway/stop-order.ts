/**
 * When in `stop()` a part stops: before the drain (what would start work or hold it up), once
 * drained but before the listener closes (what says goodbye on its connections), or after.
 */
export type StopPhase = "beforeDrain" | "beforeClose" | "afterDrain";

/**
 * Every part a gateway stops, in the order `stop()` stops them, and when: the one list a failed
 * start's undo (built-so-far.ts, the parts made so far) and `stop()` (serve-gateway.ts) both read,
 * where each kept an order of its own by hand, and they differed. After the drain, the audit rows
 * come first after the ends that write them, so no other part's failure can hold them back; the
 * event sinks are detached after the audit's final flush, which they hear; a count of keys still
 * reading storage (tenants/unlisted-tenants-warning.ts) is waited for; storage closes last.
 */
export const STOP_ORDER = [
  ["the config watch", "beforeDrain"],
  ["stored responses' retention", "beforeDrain"],
  ["shadow pairs' retention", "beforeDrain"],
  ["the container record's retention", "beforeDrain"],
  ["live event streams", "beforeDrain"],
  ["publishing this node's workers as draining", "beforeDrain"],
  ["workers", "beforeClose"],
  ["reporting request ends", "afterDrain"],
  ["the audit", "afterDrain"],
  ["telemetry", "afterDrain"],
  ["auth", "afterDrain"],
  ["the policy", "afterDrain"],
  ["the cluster", "afterDrain"],
  ["shadow comparisons", "afterDrain"],
  ["providers", "afterDrain"],
  ["the upstream client", "afterDrain"],
  ["event sinks", "afterDrain"],
  ["counting unlisted tenants' keys", "afterDrain"],
  ["storage", "afterDrain"],
] as const satisfies readonly (readonly [string, StopPhase])[];

/** A part in `STOP_ORDER`: what `BuiltSoFar.made` is told a stop is for. */
export type StopPart = (typeof STOP_ORDER)[number][0];
