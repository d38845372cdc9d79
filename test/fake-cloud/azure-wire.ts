/** What the fake reads of a chat request to Azure OpenAI. */
export interface ChatLike {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages: Array<{ role: string; content?: unknown; tool_calls?: Array<{ id?: string }> }>;
  tools?: Array<{ function?: { name?: string } }>;
}

/** The last user message's text. */
export function lastUserText(request: ChatLike): string {
  const content = request.messages.findLast((m) => m.role === "user")?.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part: { text?: string }) => part.text ?? "").join("");
  return "";
}

/** Azure OpenAI's resource in each sovereign cloud, by its Entra authority's host. */
export const AZURE_OPENAI_BY_AUTHORITY: Record<string, string> = {
  "login.microsoftonline.us": "https://cognitiveservices.azure.us",
  "login.chinacloudapi.cn": "https://cognitiveservices.azure.cn",
};
