/** What takes a credential's place. */
export const REDACTED = "[redacted]";

/**
 * Not part of a longer word: a shape starts a token (`risk-assessment` holds no `sk-` key, nor
 * `task-specific` one). Each pattern reads a token once from where it starts, so a text costs time
 * in proportion to its length, whatever it holds ("sk-sk-sk-…", "eyJeyJ…").
 */
const START = "(?<![A-Za-z0-9_-])";

/** A mindgw key's body after `mgw_`: 43 base62 characters carry 256 bits (43 × log2 62 ≈ 256). */
export const KEY_BODY_LENGTH = 43;

/**
 * A mindgw key: where a token starts, `mgw_` and 16 letters or digits or more (a key cut short in
 * a message is still one); after a hyphen or underscore (`claude-x-mgw_…`, a key pasted onto a
 * model name a glob routes) only a whole key, `mgw_` and exactly 43, and never the gateway's own
 * translated tool ids (`toolu_mgw_` and base64url: translate/anthropic-tool-id.ts), which a
 * conversation carries in every turn and error and must keep apart. A token is still read once
 * from where it starts ("mgw_mgw_…").
 */
const MINDGW_KEY = `${START}mgw_[A-Za-z0-9]{16,}|(?<=[-_])(?<!toolu_)mgw_[A-Za-z0-9]{${KEY_BODY_LENGTH}}(?![A-Za-z0-9])`;

/** Where a mindgw key may start, for `MAY_HOLD_SHAPE`: `MINDGW_KEY`'s starts, its length unread. */
const KEY_START = "(?<![A-Za-z0-9])(?<!toolu_)";

/**
 * Whether the body of an `sk-` key (what follows `sk-`, `sk-proj-`, `sk-ant-api03-`…) reads as
 * generated, not as words: a run of 16 or more letters and digits unbroken, or both cases and a
 * digit, or a run of 8 mixing letters and digits. OpenAI's and Anthropic's keys are long random
 * base62/base64url and pass at once; a hyphenated name (`sk-assessment-classifier-v2`) does not.
 */
export function looksGenerated(body: string): boolean {
  if (/[A-Z]/.test(body) && /[a-z]/.test(body) && /\d/.test(body)) return true;
  return body
    .split(/[-_]/)
    .some((run) => run.length >= 16 || (run.length >= 8 && /\d/.test(run) && /[A-Za-z]/.test(run)));
}

/**
 * The least body of an `sk-` key glued after a hyphen or underscore (`claude-x-sk-proj-…`), past
 * its kind (`proj-`, `ant-api03-`…): 40. OpenAI's legacy keys carry 48, Anthropic's about 95,
 * OpenAI's project and service-account keys 150 or more. A key of 32 lowercase hex (DeepSeek's,
 * DashScope's) is shorter, and has a rule of its own (`GLUED_HEX_SK`). `sk` as a word of a model
 * name is ordinary (Slovak's language code: `opus-mt-en-sk`).
 */
const GLUED_SK_BODY = 40;

/**
 * Whether the body of an `sk-` key glued after a hyphen or underscore reads as random, not as a
 * name's words: its letters and digits change places as random text's do, at least once every
 * eight characters (and eight times in all). Random base62 or base64url changes about once every
 * four (a legacy key of 48 falls short about 1 time in 20, a key of 95 or more next to never); a
 * name's words change a few times in all (`finetuned-commonvoice17-checkpoint4000`,
 * `summarization-checkpoint-20240115T103000`: two each), which a single run of mixed letters and
 * digits, the rule at a token's start, does not tell apart.
 */
function alternatesAsRandom(body: string): boolean {
  let changes = 0;
  /** What the character before was: 1 a letter, 2 a digit, 0 neither (`-`, `_`). */
  let before = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const lower = code | 32;
    const kind = code >= 48 && code <= 57 ? 2 : lower >= 97 && lower <= 122 ? 1 : 0;
    if (kind !== 0 && before !== 0 && kind !== before) changes++;
    before = kind;
  }
  return changes >= Math.max(8, body.length / 8);
}

/**
 * An `sk-` key glued after a hyphen or underscore (`claude-x-sk-proj-…`, a key pasted onto a model
 * name a glob routes): `sk-`, its kind if one is known, and a body of `GLUED_SK_BODY` or more that
 * runs to the token's end (the repeat is greedy over every character a token holds), which
 * `alternatesAsRandom` must accept (group 1). A shorter body is a name's words (`task-sk-specific`,
 * `my-sk-model-2024`). Read once from where it starts: a match takes the rest of its token, a
 * miss reads at most `GLUED_SK_BODY` characters past its kind ("a-sk-a-sk-…").
 */
const GLUED_SK_KEY = `sk-(?:proj-|ant-api\\d\\d-|ant-admin\\d\\d-|svcacct-|admin-)?([A-Za-z0-9_-]{${GLUED_SK_BODY},})`;

/**
 * A DeepSeek or DashScope key glued on (`deepseek-chat-sk-…`): `sk-` and exactly 32 lowercase hex
 * as the token's last segment (group 2), letters and digits both (`hexAsRandom`). A hash or a UUID
 * a model name carries is not told from it by its characters, only by where it stands: the
 * catalogues' ids put a hash after a colon or a slash (Replicate's 64, Ollama's digests), or a short
 * one after words (Together's 8, Bedrock's 12), none 32 straight after a word `sk` at the name's
 * end; one followed by more of the name (`-v2`, `_q4`) is kept.
 */
const GLUED_HEX_SK = "sk-([0-9a-f]{32})(?![A-Za-z0-9_-])";

/** 32 hex reads as random, not as a counter or a word: both letters and digits (all digits: 1 in 3 million). */
const hexAsRandom = (hex: string): boolean => /[a-f]/.test(hex) && /\d/.test(hex);

/**
 * The gateway's own tool-call ids, a whole token from its start (`toolu_mgw_` and base64url,
 * `toolu_mgh_` and a digest: translate/anthropic-tool-id.ts): read past whole, never as a glued
 * key, whose base64url may hold `-sk-` and 40 random characters after it.
 */
const OWN_TOOL_ID = `${START}toolu_mg[wh]_[A-Za-z0-9_-]*`;

/**
 * The glued `sk-` keys, one scan: a token that is the gateway's tool id is taken whole and kept
 * (its groups unset), else an `sk-` after a hyphen or underscore, its long body (group 1) or its
 * 32 hex (group 2).
 */
const GLUED_SK = `${OWN_TOOL_ID}|(?<=[-_])(?:${GLUED_SK_KEY}|${GLUED_HEX_SK})`;

/** A glued key redacted when its body reads as random; the gateway's tool id, or words, kept. */
const gluedKey = (found: string, body?: string, hex?: string): string =>
  (body !== undefined && alternatesAsRandom(body)) || (hex !== undefined && hexAsRandom(hex))
    ? REDACTED
    : found;

/** The credential replaced, where `pattern` found it: the match, or what follows its group 1. */
type Replace = (found: string, ...groups: string[]) => string;

/**
 * Credentials by their shapes: mindgw keys; OpenAI's and Anthropic's (`sk-`, `sk-proj-`,
 * `sk-ant-api03-`…), Groq's (`gsk_`), xAI's, Google's API keys (`AIza`) and OAuth access tokens
 * (`ya29.`), AWS access key ids; JWTs; bearer tokens.
 */
export const CREDENTIAL_SHAPES: readonly (readonly [RegExp, Replace])[] = [
  [new RegExp(MINDGW_KEY, "g"), () => REDACTED],
  [
    new RegExp(`${START}sk-([A-Za-z0-9_-]{16,})`, "g"),
    (key, body) => (looksGenerated(body) ? REDACTED : key),
  ],
  [new RegExp(GLUED_SK, "g"), gluedKey],
  [new RegExp(`${START}gsk_[A-Za-z0-9]{20,}`, "g"), () => REDACTED],
  [new RegExp(`${START}xai-[A-Za-z0-9]{20,}`, "g"), () => REDACTED],
  [new RegExp(`${START}AIza[0-9A-Za-z_-]{30,}`, "g"), () => REDACTED],
  [new RegExp(`${START}ya29\\.[0-9A-Za-z_-]{20,}`, "g"), () => REDACTED],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, () => REDACTED],
  [new RegExp(`${START}eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*`, "g"), () => REDACTED],
  [/(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, (_, head) => `${head}${REDACTED}`],
];

/**
 * Whether a text may hold one of the shapes: one scan, which nearly every text passes (a name
 * with `sk-` as a word, `task-sk-specific`, does too; `sk-` inside one, `risk-assessment`, not).
 * An `sk-` key starts where a token does or after a hyphen or underscore: after no letter or digit.
 */
export const MAY_HOLD_SHAPE = new RegExp(
  `${KEY_START}mgw_|(?<![A-Za-z0-9])sk-|${START}(?:gsk_|xai-|AIza|ya29\\.|eyJ)|\\b(?:AKIA|ASIA)[0-9A-Z]|\\b[Bb][Ee][Aa][Rr][Ee][Rr]\\s`,
);

/** `text` with every credential of a known shape replaced. */
export const withoutShapes = (text: string): string =>
  CREDENTIAL_SHAPES.reduce((out, [pattern, replace]) => out.replace(pattern, replace), text);
