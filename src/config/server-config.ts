import { z } from "zod";
import { addressBlock } from "../core/address-block.ts";
import { duration, durationWithFloor, num, size } from "./config-values.ts";

/** An address or CIDR block of `server.trusted_proxies`, named back when it is neither. */
const proxyEntry = z.string().refine((entry) => addressBlock(entry) !== undefined, {
  error: (issue) => `${JSON.stringify(issue.input)} is no IP address or CIDR block (e.g. 10.0.0.0/8)`,
});

/**
 * What to write for an address to listen on, said where one is empty: Bun reads "" as every
 * interface, IPv6 too, while the log said "localhost".
 */
export const HOST_CHOICES =
  "the address to listen on (0.0.0.0: every IPv4 interface; 127.0.0.1: this host alone)";
export const HOST_HINT = `give ${HOST_CHOICES}`;

/** `server`: the listener, and the bounds on what its clients may ask of it. */
export const serverConfigSchema = z.strictObject({
  host: z.string().min(1, `empty: ${HOST_HINT}, or leave it out for 0.0.0.0`).default("0.0.0.0"),
  port: num(z.number().int().min(0).max(65535)).default(8080),
  /**
   * The largest request body; a larger one is refused (413) before it is read. At least 1KB:
   * 0 is no bound elsewhere, and an unbounded body would let any caller fill the memory.
   */
  max_body: size("10MB", 1024),
  /**
   * How long in-flight requests may run after SIGTERM before the process exits anyway; and what a
   * connected worker whose key is narrowed to none of its models is given to finish its own before
   * it is refused (docs/worker-protocol.md).
   */
  drain_timeout: duration("30s"),
  /**
   * Client requests served at once (streams count until they end); the next one gets 503
   * `over_capacity` at once instead of waiting. 0: no bound.
   */
  max_concurrent_requests: num(z.number().int().min(0)).default(4096),
  /**
   * Live event streams (`/admin/api/events`: `mindgw tail`, the web UI live) open at once; the
   * next gets 503 `over_capacity`. Apart from `max_concurrent_requests`, which they leave once
   * open: each is handed every request's events on the main loop, so a few thousand would slow
   * every request, and tenant members may open them. 0: no bound.
   */
  max_event_streams: num(z.number().int().min(0)).default(64),
  /**
   * A connection with nothing sent or received for this long is closed, authenticated or
   * not (a stream waiting for its first token sends keep-alive comments). Whole seconds,
   * 5s to 255s; takes effect at restart. Bun counts the bound in 4 s ticks from a clock of its
   * own, so a connection goes up to 4 s sooner or 3 s later; a bound of one tick (4 s or
   * less) runs out at the next tick however recently the connection was used, mid-answer too.
   */
  idle_timeout: durationWithFloor("30s").pipe(
    z
      .number()
      .min(
        5000,
        "at least 5s: Bun counts it in 4 s ticks, and a bound of 4 s or less closes a connection at the next tick, even one being written to",
      )
      .max(255_000, "at most 255s"),
  ),
  /** The whole request body must arrive within this, however it trickles; else 408. */
  body_timeout: duration(
    "30s",
    'a body that takes more than one read would be refused (408); 0 is not "no bound" here',
  ),
  /** Requests in flight from one client address; the next gets 429. 0: no cap. */
  max_client_requests: num(z.number().int().min(0)).default(1024),
  /**
   * Load balancers and proxies (addresses or CIDR blocks) whose `X-Forwarded-For` is believed:
   * a request from one of them is the client's its header names (the right-most address not
   * itself listed), for the audit row and `max_client_requests`. Empty: the socket's peer.
   */
  trusted_proxies: z.array(proxyEntry).default([]),
});
