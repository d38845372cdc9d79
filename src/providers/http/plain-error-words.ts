import { cutWords } from "../../core/cut-words.ts";

/**
 * The words of an error body in neither dialect's shape, as the vendors' SDKs read it when they
 * meet one (their message is the body's text): a plain-text body (Go's `http.Error`, Envoy's
 * "upstream connect error or disconnect/reset before headers", a Python server's "Internal Server
 * Error"), or a JSON object whose only words are a top-level `message` (Azure API Management's
 * `{"statusCode":429,"message":"Rate limit is exceeded. Try again in 60 seconds."}`). Its whitespace
 * is made single spaces and it is cut to a line's length (core/cut-words.ts). Undefined for nothing,
 * and for markup (a proxy's HTML page), whose text is no message a caller should read.
 */
export function plainErrorWords(body: unknown, text: string): string | undefined {
  if (typeof body === "object" && body !== null) {
    const message = "message" in body ? body.message : undefined;
    return typeof message === "string" ? said(message) : undefined;
  }
  if (typeof body === "string") return said(body);
  // Text that is no JSON is the body's words; a JSON number or list says none.
  return body === undefined ? said(text) : undefined;
}

const said = (text: string): string | undefined => {
  const words = text.trim().replace(/\s+/g, " ");
  return words === "" || words.startsWith("<") ? undefined : cutWords(words);
};
