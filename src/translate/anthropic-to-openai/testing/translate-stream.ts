import type { SseEvent } from "../../../core/sse.ts";
import { drain, replay } from "../../fixtures/load-fixture.ts";
import { chatStreamToMessages } from "../chat-stream-to-messages.ts";

/** A chat stream's events, optionally failing after `failAfter.count`, as the Messages events the
 * caller is sent (the chat-stream-to-messages*.test.ts files' shared driver). */
export const translate = (events: SseEvent[], failAfter?: { count: number; error: Error }) =>
  drain(chatStreamToMessages(replay(events, failAfter), { requestedModel: "claude-x" }));
