import type { CloudAnswer } from "./cloud-script.ts";
import { deltas } from "./cloud-script.ts";

const usage = (answer: CloudAnswer) => ({
  promptTokenCount: answer.inputTokens,
  candidatesTokenCount: answer.outputTokens,
  thoughtsTokenCount: 3,
  totalTokenCount: answer.inputTokens + answer.outputTokens + 3,
});

const candidate = (parts: object[], finishReason?: string) => ({
  content: { role: "model", parts },
  ...(finishReason ? { finishReason } : {}),
  index: 0,
});

export function generateContentJson(answer: CloudAnswer, model: string): object {
  const parts = answer.tool
    ? [{ functionCall: { name: answer.tool.name, args: answer.tool.args } }]
    : [{ text: "thinking…", thought: true }, { text: answer.text }];
  return {
    candidates: [candidate(parts, "STOP")],
    usageMetadata: usage(answer),
    modelVersion: model,
    responseId: "fake-resp-1",
  };
}

/** `streamGenerateContent?alt=sse` events: partial responses, the last with finishReason and usage. */
export function generateContentEvents(answer: CloudAnswer, model: string): string[] {
  const events: object[] = [];
  if (answer.tool)
    events.push({
      candidates: [candidate([{ functionCall: { name: answer.tool.name, args: answer.tool.args } }])],
    });
  else
    for (const text of deltas(answer.text))
      events.push({ candidates: [candidate([{ text }])], modelVersion: model });
  events.push({
    candidates: [candidate([{ text: "" }], "STOP")],
    usageMetadata: usage(answer),
    modelVersion: model,
  });
  return events.map((event) => `data: ${JSON.stringify(event)}\r\n\r\n`);
}

/** Google's error envelope. */
export const googleError = (code: number, status: string, message: string) => ({
  error: { code, message, status },
});
