import { expect, test } from "bun:test";
import { MAY_HOLD_SHAPE, withoutShapes } from "./credential-shapes.ts";

/** An OpenAI project key's body (140 base64url characters) and an Anthropic key's (95). */
const PROJECT_BODY =
  "Gt-3R6wheMwmvrnwO4Sq8-xMXKYlWrg0wNtF3f7UXxC3w9G-EW1lVrBctsgU7YtPODBSMW0tUraurTlGsh7CRsjSvJeih9cqM5DzcTlJ4mW0yydIy-eBxVnpNAVfsv6vD5jXdDeAE5Hq";
const ANTHROPIC_BODY =
  "sYHAEQ3Em-slD6O4XPuCfKpZrkv5dEuXTWRqo1t_7EF3wCFNuzfzoeIEGEWWkBYI_k8_j0xm9QXbPYIZ_YNAaiBChrysyAA";

test("an `sk-` key glued after a hyphen or underscore is redacted when its long body reads as generated", () => {
  expect(PROJECT_BODY).toHaveLength(140);
  expect(ANTHROPIC_BODY).toHaveLength(95);
  const glued = {
    [`claude-x-sk-proj-${PROJECT_BODY}`]: "claude-x-[redacted]",
    [`gpt_sk-ant-api03-${ANTHROPIC_BODY}`]: "gpt_[redacted]",
    [`model claude-x-sk-svcacct-${PROJECT_BODY}: not found`]: "model claude-x-[redacted]: not found",
    // OpenAI's legacy key: `sk-` and 48 base62.
    "llama-sk-T3BlbkFJ7xq2Lm9Pz4Rt8Wv1Ks6Hd0Yc5Nb3Gf7Qa2Je9Ux4": "llama-[redacted]",
    // A kind it does not know is read as body.
    [`gpt-4o-sk-ant-api99-${ANTHROPIC_BODY}`]: "gpt-4o-[redacted]",
  };
  for (const [text, redacted] of Object.entries(glued)) {
    expect(MAY_HOLD_SHAPE.test(text)).toBe(true);
    expect(withoutShapes(text)).toBe(redacted);
  }
});

test("a name that holds `sk` as a word, or a short or wordy body after it, is kept", () => {
  const names = [
    "risk-assessment-classifier-v2",
    "task-sk-specific",
    "my-sk-model-2024",
    "claude-3-5-sonnet-sk-test",
    // Slovak's language code, and 32 characters and more of words after it (both cases and a digit).
    "opus-mt-en-sk-en-finetuned-Legal2024-v3-checkpoint",
    // A generated body, but shorter than any `sk-` key's.
    "claude-x-sk-proj-Ab12Cd34Ef56Gh78Ij90",
    // Words with a run of letters and digits mixed, a date-time and a UUID after `sk-`.
    "whisper-small-sk-finetuned-commonvoice17-checkpoint4000",
    "mt5-base-sk-summarization-checkpoint-20240115T103000",
    "ft-sk-3f2a9c1e-8b7d-4e2f-9a1c-0d5e6f7a8b9c",
  ];
  for (const name of names) expect(withoutShapes(name)).toBe(name);
  // The pre-scan passes a name with `sk-` as a word, and skips one with `sk-` inside a word.
  expect(MAY_HOLD_SHAPE.test("task-sk-specific")).toBe(true);
  expect(MAY_HOLD_SHAPE.test("risk-assessment-classifier-v2")).toBe(false);
});

/** 32 lowercase hex: a DeepSeek or DashScope (Qwen) key's body, and an MD5 or a UUID without hyphens. */
const HEX_32 = "3f2a9c1e8b7d4e2f9a1c0d5e6f7a8b9c";

test("a 32-hex `sk-` key (DeepSeek's, DashScope's) glued on as a token's last segment is redacted", () => {
  const glued = {
    [`deepseek-chat-sk-${HEX_32}`]: "deepseek-chat-[redacted]",
    [`qwen-max_sk-${HEX_32}`]: "qwen-max_[redacted]",
    [`model x-sk-${HEX_32}: not found`]: "model x-[redacted]: not found",
    "llama-sk-0123456789abcdef0123456789abcdef": "llama-[redacted]",
  };
  for (const [text, redacted] of Object.entries(glued)) {
    expect(MAY_HOLD_SHAPE.test(text)).toBe(true);
    expect(withoutShapes(text)).toBe(redacted);
  }
});

test("32 hex after `sk-` but not a whole last segment, other lengths and cases, and real catalogue names with hex-ish ids are kept", () => {
  const names = [
    `llama-sk-${HEX_32}-v2`,
    `llama-sk-${HEX_32}_q4`,
    `x-sk-${HEX_32.slice(1)}`,
    `x-sk-${HEX_32}a`,
    `x-sk-${HEX_32.toUpperCase()}`,
    // Digits alone or letters alone: a counter or a word, not a hash.
    `x-sk-${"4".repeat(32)}`,
    `x-sk-${"abcdef".repeat(5)}ab`,
    // Providers' own ids: OpenAI fine-tunes, Bedrock ARNs, Hugging Face repos, Together's
    // fine-tunes (8 hex), Replicate versions (64 hex), Ollama digests, Azure deployments.
    "ft:gpt-4o-mini-2024-07-18:acme-sk::9AbcDEF1",
    "ft:gpt-3.5-turbo-0125:personal:sk-support:8kX2mP1q",
    "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1:0:8k/a1b2c3d4e5f6",
    "arn:aws:bedrock:eu-central-1:123456789012:provisioned-model/sk-3f2a9c1e8b7d",
    "Helsinki-NLP/opus-mt-en-sk",
    "gerulata/slovakbert-sk-ner",
    "acme/Meta-Llama-3.1-8B-Instruct-Reference-sk-legal-3f2a9c1e",
    `acme/whisper-sk:${HEX_32}${HEX_32}`,
    `sha256-${HEX_32}${HEX_32}`,
    `gpt-4o-sk-deploy-${HEX_32.slice(0, 8)}`,
  ];
  for (const name of names) expect(withoutShapes(name)).toBe(name);
});

test("the pre-scan passes every text the shapes change", () => {
  const texts = [
    `claude-x-sk-proj-${PROJECT_BODY}`,
    `x_sk-${ANTHROPIC_BODY}`,
    `deepseek-chat-sk-${HEX_32}`,
    `sk-proj-${PROJECT_BODY}`,
    "claude-x-mgw_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg",
    "key gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "Bearer abcdefgh12345678",
  ];
  for (const text of texts) {
    expect(withoutShapes(text)).not.toBe(text);
    expect(MAY_HOLD_SHAPE.test(text)).toBe(true);
  }
});

// Each glued `sk-` reads the rest of its token at most once: a match takes it, a miss reads 40. A
// pattern that read a token again from each `sk-` in it would take minutes on these, past the
// test's deadline; read once, each takes milliseconds.
test("a hostile 100 kB text is read through, each glued `sk-` once", () => {
  const hostile = [
    "a-sk-".repeat(20_000),
    `x-sk-${"a".repeat(100_000)}`,
    `x-sk-${"a1".repeat(50_000)}`,
    "_sk-proj-".repeat(11_112),
    `${"x-sk-".repeat(10_000)}${"A1b2".repeat(12_500)}`,
    `x-sk-${"0a".repeat(50_000)}`,
    `toolu_mgw_${"-sk-".repeat(25_000)}`,
  ];
  for (const text of hostile) {
    expect(MAY_HOLD_SHAPE.test(text)).toBe(true);
    expect(withoutShapes(text).length).toBeGreaterThan(0);
  }
}, 10_000);
