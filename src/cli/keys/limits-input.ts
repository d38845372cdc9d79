import { badRequest } from "../../core/gateway-error.ts";
import { zonedDateTimeMs } from "../../core/zoned-date-time.ts";
import { UsageError } from "../exit-code.ts";

/** `keys update`'s options as given on the command line (an option left out is undefined). */
export interface UpdateOptions {
  models?: string;
  rpm?: string;
  tpm?: string;
  budget?: string;
  expiresIn?: string;
  expiresAt?: string;
}

/**
 * The limits input `keys update` sends: only what was given, "none" lifting a limit as the API
 * says it (null; `--expires-in none` as `expires_at: null`, never expiring). A key's models cannot
 * be lifted that way — with none it could call nothing — so `--models none` is refused here, in
 * the option's words, rather than as the API's 400 about a null list.
 */
export function limitsInput(options: UpdateOptions): Record<string, string | null> {
  if (options.models === "none")
    throw badRequest(
      `--models none: a key needs at least one model glob; give "*" for every model`,
      "models",
    );
  const lifts = (value: string | undefined) => (value === "none" ? null : value);
  const neverExpires = options.expiresIn === "none" && options.expiresAt === undefined;
  const input = {
    models: options.models,
    rpm: lifts(options.rpm),
    tpm: lifts(options.tpm),
    budget_usd: lifts(options.budget),
    expires_in: neverExpires ? undefined : options.expiresIn,
    expires_at: neverExpires ? null : lifts(options.expiresAt && expiryOf(options.expiresAt)),
  };
  const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  // Said here in the flags' words, not as the API's "give at least one of models, rpm, …, expires_in".
  if (Object.keys(given).length === 0)
    throw new UsageError(
      "nothing to change: give at least one of --models, --rpm, --tpm, --budget, --expires-in, --expires-at",
    );
  return given as Record<string, string | null>;
}

/** The date-time forms `--expires-at` takes, as `audit --from/--to` take them (core/zoned-date-time.ts). */
const EXPIRY_FORMS =
  "an ISO 8601 date-time with Z or an offset (2031-01-31T00:00Z, 2031-01-31T09:00:00+09:00, 2031-01-31T09:00:00+0900 as `date +%FT%T%z` prints it), or none";

/**
 * `--expires-at` as the instant it names, sent with `Z` (the API's spelling takes seconds and an
 * offset's colon); `none` as given. A date alone or a local time is refused here, in the flag's
 * words: it would be another instant on a machine in another zone.
 */
function expiryOf(text: string): string {
  if (text === "none") return text;
  const ms = zonedDateTimeMs(text);
  if (Number.isNaN(ms))
    throw new UsageError(
      `--expires-at: expected ${EXPIRY_FORMS}; a date alone or a time without Z or an offset is refused: it would be read in some machine's zone`,
    );
  return new Date(ms).toISOString();
}

/**
 * A refusal of `keys update`'s input in its own words: the API's "leave it out for no limit" is
 * right for a new key, but leaving a flag out of an update keeps the limit; `none` lifts it.
 */
export const inUpdateWords = (refusal: string): string =>
  refusal
    .replace("(leave it out for no limit)", "(none for no limit)")
    .replace("(leave it out for no budget)", "(none for no budget)")
    .replace("leave it out for a key that never expires", "none for a key that never expires");
