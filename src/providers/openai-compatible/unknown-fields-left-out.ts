import type { JsonObject } from "../../core/dialect.ts";
import { CHAT_DEFAULTS } from "../../translate/chat-target.ts";
import type { Dropped } from "../../translate/dropped.ts";
import { asksNothing } from "../../translate/uncarried-fields.ts";

const WHY = "is a field this API version does not know (400 Unrecognized request argument supplied)";

/**
 * Names in `dropped` (`Provider.leavesOut`) the fields of a preset's `unknownFields` the body sets
 * to ask for something (`parallel_tool_calls: false`; not `true`, the default), as a translation
 * names what it cannot carry. `stream_options` is not named: the gateway asks it of every stream,
 * and a caller that asked for usage is told the estimate in its place.
 */
export const nameUnknownLeftOut =
  (fields: readonly string[]) =>
  (body: JsonObject, dropped: Dropped): void => {
    for (const field of fields)
      if (field !== "stream_options" && !asksNothing(body[field], CHAT_DEFAULTS[field]))
        dropped.add(field, field, WHY);
  };
