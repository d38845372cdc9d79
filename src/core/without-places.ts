/**
 * Where the gateway's upstreams live is the operator's business: an upstream's error that quotes
 * a URL, an address or an AWS account (a LiteLLM proxy's "call to http://vllm-3.corp.internal:8000/v1
 * failed", a worker's model server's "connect ECONNREFUSED 10.0.4.7:8000", a Bedrock ARN) says so
 * to a caller with these words in its place; the gateway's log keeps them (its `detail`).
 */
const A_URL = "(a URL)";
const AN_ADDRESS = "(an address)";
const ACCOUNT = "(the gateway's upstream account)";

/**
 * A vendor's public pages (its docs, its console, its status page) name nothing of the gateway's:
 * OpenAI's "Visit https://platform.openai.com/account/rate-limits to learn more." keeps its link.
 * Hosts that name the gateway's own resource (`acme.openai.azure.com`, `bedrock-runtime.….amazonaws.com`,
 * Vertex AI's `…aiplatform.googleapis.com/v1/projects/…`) are not among them.
 */
const PUBLIC_PAGE =
  /^https?:\/\/(?:[\w-]+\.)*(?:openai\.com|anthropic\.com|claude\.com|google\.dev|cloud\.google\.com|developers\.google\.com|groq\.com|mistral\.ai|aws\.amazon\.com|microsoft\.com|aka\.ms)(?:[/?#]|$)/i;

/** Each place by the way it is written, and what takes its place. */
const PLACES: readonly (readonly [RegExp, (found: string, ...groups: string[]) => string])[] = [
  // A URL, up to a space or a quote, with what brackets hold (an IPv6 host, a key already
  // "[redacted]"); its last character no punctuation of the sentence around it. A bracket holds no
  // bracket, so an unclosed one is read to the next and no further.
  [
    /\bhttps?:\/\/(?:\[[^\s[\]]*\]|[^\s"'<>`[\]])*(?:\[[^\s[\]]*\]|[^\s"'<>`[\].,;:!?)])/gi,
    (url) => (PUBLIC_PAGE.test(url) ? url : A_URL),
  ],
  // An ARN's account id: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/…".
  [/(\barn:aws[\w-]*:[\w-]*:[\w-]*:)\d{12}(?=:)/g, (_, head) => `${head}${ACCOUNT}`],
  // A host and port ("vllm-3.corp.internal:8000", "localhost:11434"); a host alone is left (it reads
  // as a file's or a model's name too: "config.yaml", "gpt-3.5-turbo").
  // Read from where a host starts only ("1.1.1.…" or "a.b.c.…" is read once, not from each dot on).
  [/(?<![A-Za-z0-9.-])(?:(?:[A-Za-z0-9-]+\.)+[A-Za-z][A-Za-z0-9-]*|localhost):\d{1,5}\b/g, () => AN_ADDRESS],
  // An IPv4 address, with or without its port; an IPv6 one in brackets, as a URL or a port writes it.
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g, () => AN_ADDRESS],
  [/\[[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*\](?::\d{1,5})?/g, () => AN_ADDRESS],
];

/** Whether a text may hold any of them: one scan, which nearly every message passes without a copy. */
const MENTIONS = /:\/\/|arn:|:\d|\d\.\d+\.\d|\[[0-9A-Fa-f]*:/i;

/** `text` without the URLs, addresses and AWS account ids it names; the very string when it names none. */
export function withoutPlaces(text: string): string {
  if (!MENTIONS.test(text)) return text;
  let masked = text;
  for (const [pattern, replace] of PLACES) masked = masked.replace(pattern, replace);
  return masked;
}
