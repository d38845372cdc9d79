import { answerFor, type CloudAnswer } from "./cloud-script.ts";

/** What the fake reads of a Converse request. */
export interface ConverseLike {
  messages: Array<{
    role: string;
    content: Array<{
      text?: string;
      document?: { name?: string };
      toolUse?: { toolUseId?: string };
      toolResult?: { toolUseId?: string };
    }>;
  }>;
  system?: Array<{ text?: string }>;
  toolConfig?: { tools?: Array<{ toolSpec?: { name?: string } }> };
  inferenceConfig?: { stopSequences?: string[] };
}

/**
 * Bedrock's answer, scripted as every cloud's (`answerFor`), and more: "think" in the last user
 * turn has the model reason first, in Converse's `reasoningContent` blocks as Claude writes them
 * when it thinks (a signed block, a redacted one, another signed one); "unsigned" has it reason as
 * DeepSeek-R1 does (one block, no signature); "cache" has the prompt read from and written to the
 * cache.
 */
export function bedrockAnswer(text: string, firstTool: string | undefined): CloudAnswer {
  const answer = answerFor(text, firstTool, "bedrock");
  if (/unsigned/i.test(text)) answer.reasoning = [{ text: "The user wants an answer; plain reasoning." }];
  else if (/think/i.test(text))
    answer.reasoning = [
      { text: "The user asks me to think. Paris first.", signature: "EqQBCkYIBxgCKkA-signed-one" },
      { redacted: "RXJtZW5jcnlwdGVkIHRoaW5raW5n" },
      { text: "Then the answer.", signature: "EqQBCkYIBxgCKkA-signed-two" },
    ];
  if (/cache/i.test(text)) answer.cache = { read: 300, write: 100 };
  return answer;
}
