import { GatewayError } from "./gateway-error.ts";
import { withoutSecrets } from "./without-secrets.ts";

/**
 * An unexpected error for the log: its kind and message, and for a GatewayError the `detail` the
 * client was not told (a database's own words behind a 503); never a stack (source paths) or a body,
 * nor a credential: a plug-in's or a driver's message may quote one (`token=…`), and every caller
 * writes this to a log.
 */
export const describeError = (error: unknown): string =>
  withoutSecrets(
    error instanceof GatewayError && error.detail !== undefined
      ? `${error.name}: ${error.message} (${error.detail})`
      : error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error),
  );

/** An error's own words, for a message that quotes it (`could not apply: …`): no kind, no detail. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
