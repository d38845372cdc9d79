import { describeError } from "../core/describe-error.ts";
import type { Logger } from "../log/logger.ts";

/**
 * The answer to an error no handler caught (Bun.serve's `error`): every handler answers its own
 * errors in the caller's dialect with an x-request-id, so this is a defect of ours. Logged, and
 * answered with a plain 500 in the OpenAI shape: never Bun's development page, which shows the
 * source lines and the working directory, nor its bare text.
 */
export const lastResortAnswer =
  (logger: Logger) =>
  (error: unknown): Response => {
    logger.error("an answer failed outside every handler", { error: describeError(error) });
    return Response.json(
      { error: { message: "internal error", type: "server_error", param: null, code: "internal_error" } },
      { status: 500 },
    );
  };
