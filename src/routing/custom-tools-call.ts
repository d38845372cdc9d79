import type { ChatCustomTools } from "../translate/chat-custom-tools.ts";
import { customCallsBack, customToolField } from "../translate/chat-custom-tools.ts";
import { readChatChunk } from "../translate/stream/chat-chunk-reader.ts";
import { CustomCallChunks } from "../translate/stream/custom-call-chunks.ts";
import { translateStream } from "../translate/stream/stream-driver.ts";
import type { AdaptedCall } from "./adapt-dialect.ts";
import { callerName } from "./caller-param.ts";

/**
 * A translated chat call whose caller declared custom tools (translate/chat-custom-tools.ts): the
 * calls of their functions come back as custom calls, whole and streamed. The translation's own
 * chat answer is read once more for that, made only for such a call: every other goes without.
 */
export function withCustomCallsBack(call: AdaptedCall, { names, at }: ChatCustomTools): AdaptedCall {
  const inner = call.stream;
  const naming = call.callerNames;
  return {
    ...call,
    // An upstream's refusal of a custom tool's schema, said of the tool the caller sent.
    ...(naming
      ? {
          callerNames: (field: string) => {
            const named = callerName(naming, field);
            return named === undefined ? undefined : customToolField(named, at);
          },
        }
      : {}),
    // The body was rewritten (custom tools as functions): never the caller's bytes.
    ...(call.native ? { native: { ...call.native, rewritten: true } } : {}),
    json: (reply, sent) => customCallsBack(call.json(reply, sent), names),
    stream(events, onUsage, maxBody, sent) {
      // The provider's own chat (Bedrock's, Gemini's): read as it comes, its usage counted here.
      const writer = new CustomCallChunks(names, maxBody);
      if (!inner) return translateStream(events, readChatChunk, writer, onUsage);
      // Another API's translated to chat (Anthropic's), which counts its usage itself.
      const chat = inner(events, onUsage, maxBody, sent);
      return translateStream(chat.events, readChatChunk, writer);
    },
  };
}
