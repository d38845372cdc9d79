import { z } from "zod";
import { LONGEST_TIMER_MS } from "../core/timer-delay.ts";
import { configUrl } from "./config-url.ts";
import { duration, num } from "./config-values.ts";

/** `storage`: the embedded SQLite file, or the PostgreSQL several nodes share. */
export const storageConfigSchema = z.strictObject({
  driver: z.enum(["sqlite", "postgres"]).default("sqlite"),
  path: z.string().default("./data/mindgw.db"),
  /**
   * PostgreSQL connection URL (`driver: postgres`); several nodes share it. A URL, as Bun's client
   * takes (libpq's `host=… password=…` form is not read), whose scheme picks the protocol spoken.
   */
  url: z
    .literal("") // `${DATABASE_URL:-}` on a SQLite node: none
    .or(
      configUrl({
        protocol: /^postgres(ql)?$/,
        message: "not a PostgreSQL URL (postgres://user:pass@host:5432/db)",
      }),
    )
    .optional(),
  /** PostgreSQL: connections per node. */
  pool: num(z.number().int().min(1).max(1000)).default(10),
  /** PostgreSQL: the longest any one statement may run before the server cancels it; 0, no bound (PostgreSQL's own 0). */
  statement_timeout: duration("30s").pipe(
    // PostgreSQL refuses a longer one at every connection ("Value exceeds integer range").
    z
      .number()
      .max(
        LONGEST_TIMER_MS,
        `at most ${LONGEST_TIMER_MS}ms (about 24.8 days), PostgreSQL's own limit; 0 is no bound`,
      ),
  ),
  /** PostgreSQL: how long opening a connection may take before the store counts as down. */
  connect_timeout: duration("5s", 'no connection could be opened; 0 is not "no bound" here'),
  /**
   * PostgreSQL TLS, as libpq's `sslmode`; a `sslmode` in the URL wins. Unset, `prefer`, or
   * `verify-full` with `sslrootcert: system`, which refuses any other (postgres-ssl-mode.ts; postgres-client.ts).
   */
  sslmode: z.enum(["disable", "prefer", "require", "verify-ca", "verify-full"]).optional(),
  /** PostgreSQL: PEM file of the CA(s) that sign the server's certificate (verify-ca, verify-full); the URL's `sslrootcert` wins. */
  sslrootcert: z.string().min(1).optional(),
  /** Stored Responses API answers (`previous_response_id` chains) older than this are deleted. */
  responses_retention: duration(
    "30d",
    'every stored response would be deleted as soon as it is written; 0 is not "keep forever"',
  ),
});
