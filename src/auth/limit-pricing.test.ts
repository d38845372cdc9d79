import { expect, test } from "bun:test";
import { keyRecord } from "../testing/key-record.ts";
import { pricedUnderBudget } from "./limit-pricing.ts";
import { principalFromKey } from "./principal.ts";

// `/v1/models` asks the limits policy once a listing which models it may show (Policy.lists).
test("a listing decides once whether a budget binds the caller: none, and no model's price is asked; one, and each model's is", () => {
  const asked: string[] = [];
  const lists = pricedUnderBudget({
    cost: () => 0,
    isPriced: (model) => {
      asked.push(model);
      return model !== "unpriced";
    },
  });
  expect(lists(principalFromKey(keyRecord({ budgetUsd: null })))).toBeUndefined();
  expect(asked).toEqual([]);
  const shown = lists(principalFromKey(keyRecord({ budgetUsd: 5 })));
  expect(["priced", "unpriced"].filter((model) => shown?.(model) ?? true)).toEqual(["priced"]);
  expect(asked).toEqual(["priced", "unpriced"]);
});
