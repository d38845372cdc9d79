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

/** What Google adds to an error's `details`: ErrorInfo's reason, RetryInfo's delay. */
export interface GoogleErrorDetails {
  reason?: string;
  retryDelay?: string;
}

/** Google's error envelope (google.rpc.Status), with the details Google sends beside it. */
export const googleError = (
  code: number,
  status: string,
  message: string,
  { reason, retryDelay }: GoogleErrorDetails = {},
) => {
  const details = [
    ...(reason
      ? [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain: "googleapis.com" }]
      : []),
    ...(retryDelay ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay }] : []),
  ];
  return { error: { code, message, status, ...(details.length ? { details } : {}) } };
};
