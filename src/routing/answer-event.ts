import type { SseEvent } from "../core/sse.ts";
import { saysNoChoiceIn } from "./no-choice.ts";
import { endsStreamEvent } from "./stream-end.ts";

const USAGE_OBJECT = /"usage"\s*:\s*\{/;

/**
 * Whether an event's data is a chunk of usage alone, OpenAI's `include_usage` chunk: a usage
 * object and no choice (`[]`, or null as some servers say it: no-choice.ts), so no token of the answer. The
 * usage object is looked for first: most chunks have none (or `"usage": null`), and are passed at
 * that.
 */
export const usageAlone = (data: string): boolean => USAGE_OBJECT.test(data) && saysNoChoiceIn(data);

/**
 * Whether an upstream's decoded event may carry the answer, a token of a stream's estimate
 * (`ChunkSource.upstreamEvents`): not its end marker, nor a chunk of usage alone.
 */
export const isAnswerEvent = (event: SseEvent): boolean => !endsStreamEvent(event) && !usageAlone(event.data);
