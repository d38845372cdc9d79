import type { Logger } from "../log/logger.ts";

/**
 * The running server's logger (`serve`, `worker`), once made from its config or flags: what the
 * CLI says around the command, a failed output (closed-output.ts) or the error a start ended with
 * (run-cli.ts), goes through it, in its format and at its level, where a plain line broke a JSON
 * log. Undefined before it is made (an invalid config, a bad flag: no format to follow yet) and
 * for every other command, which say it plainly on stderr.
 */
let current: Logger | undefined;

/** Says from now on what the CLI says through `logger`: the server's own. */
export function adoptServerLogger(logger: Logger): void {
  current = logger;
}

/** The server's logger, once it is made. */
export const serverLogger = (): Logger | undefined => current;
