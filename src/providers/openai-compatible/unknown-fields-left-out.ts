import type { JsonObject } from "../../core/dialect.ts";
import { CHAT_DEFAULTS } from "../../translate/chat-target.ts";
import type { Dropped } from "../../translate/dropped.ts";
import { asksNothing } from "../../translate/uncarried-fields.ts";

const WHY = "is a field this API version does not know (400 Unrecognized request argument supplied)";

/**
 * What a preset's `unknownFields` leave out that is named: each but `stream_options`, which the
 * gateway asks of every stream (a caller that asked for usage is told the estimate in its place).
 */
export const namedUnknownFields = (fields: readonly string[]): readonly string[] =>
  fields.filter((field) => field !== "stream_options");

/**
 * Names in `dropped` (`Provider.leavesOut`) the fields (`namedUnknownFields`) of a preset's
 * `unknownFields` the body sets to ask for something (`parallel_tool_calls: false`; not `true`,
 * the default), as a translation names what it cannot carry.
 */
export const nameUnknownLeftOut =
  (named: readonly string[]) =>
  (body: JsonObject, dropped: Dropped): void => {
    for (const field of named)
      if (!asksNothing(body[field], CHAT_DEFAULTS[field])) dropped.add(field, field, WHY);
  };
