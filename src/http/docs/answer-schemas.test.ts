import { expect, test } from "bun:test";
import { ANSWERS } from "./answer-schemas.ts";
import { KEY_ANSWERS } from "./key-answers.ts";
import { MODEL_ANSWERS } from "./model-answers.ts";
import { OPERATOR_ANSWERS } from "./operator-answers.ts";

// ANSWERS joins three objects by spreads, where one literal would refuse a name written twice: an
// answer named in two of them would be described by the last alone, with no error.

test("no answer is named in two of the files ANSWERS joins", () => {
  const names = [KEY_ANSWERS, OPERATOR_ANSWERS, MODEL_ANSWERS].flatMap((answers) => Object.keys(answers));
  expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  expect(Object.keys(ANSWERS).sort()).toEqual(names.sort());
});
