import { GatewayError } from "./gateway-error.ts";
import { withoutSecrets } from "./without-secrets.ts";

/**
 * What is said of a thrown value whose words cannot be read: an object with no `toString`
 * (`Object.create(null)`), an Error whose `message` getter throws.
 */
export const UNREADABLE_ERROR = "an error whose words cannot be read";

/**
 * An unexpected error for the log: its kind and message, and for a GatewayError the `detail` the
 * client was not told (a database's own words behind a 503); never a stack (source paths) or a body,
 * nor a credential: a plug-in's or a driver's message may quote one (`token=…`), and every caller
 * writes this to a log. Never throws: it is called where a failure is being told (a listener's
 * throw on the event bus, a task's `onError`), and a throw there would escape into the path the
 * failure was kept from.
 */
export const describeError = (error: unknown): string =>
  withoutSecrets(
    readable(() =>
      error instanceof GatewayError && error.detail !== undefined
        ? `${error.name}: ${error.message} (${error.detail})`
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error),
    ),
  );

/** An error's own words, for a message that quotes it (`could not apply: …`): no kind, no detail. */
export const messageOf = (error: unknown): string =>
  readable(() => (error instanceof Error ? error.message : String(error)));

/** The words `read` gives, or UNREADABLE_ERROR when reading them throws. */
function readable(read: () => string): string {
  try {
    return read();
  } catch {
    return UNREADABLE_ERROR;
  }
}
