import OpenAI from "openai";

/** What a chat call was answered, refused or not: its status and its answer's headers. */
export interface ChatAnswer {
  status: number;
  headers: Headers;
}

/**
 * One chat call of `model` through the official OpenAI SDK, its retries off (a refusal is what a
 * limit test reads, not something to retry past): what it was answered, a 200 or the SDK's error.
 * Anything but an HTTP answer (a connection error) is thrown.
 */
export async function sdkChatAnswer(baseURL: string, key: string, model: string): Promise<ChatAnswer> {
  const openai = new OpenAI({ apiKey: key, baseURL, maxRetries: 0 });
  try {
    const { response } = await openai.chat.completions
      .create({ model, messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    return { status: response.status, headers: response.headers };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError) || error.status === undefined) throw error;
    return { status: error.status, headers: error.headers ?? new Headers() };
  }
}
