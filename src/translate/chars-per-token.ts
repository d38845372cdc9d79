/**
 * Characters per token for the gateway's estimates, where no tokenizer runs. Real text runs
 * 3.5–4.5 for English and code and fewer for other scripts, so 4 tends to *under*-count: a route
 * is skipped only when the prompt clearly cannot fit; a borderline one is tried, and
 * `fallback_on: [context_length]` catches the upstream's refusal.
 */
export const CHARS_PER_TOKEN = 4;
