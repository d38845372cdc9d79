import { KEY_ANSWERS } from "./key-answers.ts";
import { MODEL_ANSWERS } from "./model-answers.ts";
import { OPERATOR_ANSWERS } from "./operator-answers.ts";

// The answers the OpenAPI document describes with a schema of their own (components.schemas), each
// with an example as the gateway answers. The admin API's keys and audit pages are the zod schemas
// that shape them (key-answers.ts, operator-answers.ts); a model call's answer is its dialect's, as
// the upstream (or the translation) wrote it, so only what every such answer carries is said
// (model-answers.ts), every other field allowed.

/** Each answer's schema (its name in `components.schemas`) and the example its operations show. */
export const ANSWERS = { ...KEY_ANSWERS, ...OPERATOR_ANSWERS, ...MODEL_ANSWERS };

export type AnswerName = keyof typeof ANSWERS;
