import { describe, expect, test } from "bun:test";
import { type KeyFormFields, keyInput, limitsInput } from "./key-input.ts";

const form = (fields: Partial<KeyFormFields>): KeyFormFields => ({
  name: "alice",
  role: "user",
  tenant: "",
  models: "*",
  rpm: "",
  tpm: "",
  budget_usd: "",
  expires_in: "",
  ...fields,
});

describe("keyInput", () => {
  test("empty limits are left out (no limit); numbers are sent as numbers", () => {
    expect(keyInput(form({}))).toEqual({ input: { name: "alice", role: "user", models: ["*"] } });
    expect(keyInput(form({ rpm: " 60 ", tpm: "10000", budget_usd: "2.50", tenant: " acme " }))).toEqual({
      input: {
        name: "alice",
        role: "user",
        models: ["*"],
        tenant: "acme",
        rpm: 60,
        tpm: 10000,
        budget_usd: 2.5,
      },
    });
  });

  test("a limit that is not a plain positive number is refused, never sent as no limit", () => {
    const refused = (fields: Partial<KeyFormFields>) => {
      const result = keyInput(form(fields));
      return "error" in result ? result.error : "sent";
    };
    expect(refused({ budget_usd: "$5" })).toBe(
      'Budget (USD): "$5" is not a dollar amount above 0, like 5 or 2.50 (leave it empty for no limit)',
    );
    expect(refused({ rpm: "60/min" })).toStartWith('Requests/min: "60/min" is not a whole number');
    expect(refused({ tpm: "10k" })).toStartWith('Tokens/min: "10k" is not a whole number');
    expect(refused({ rpm: "1.5" })).toStartWith("Requests/min:");
    expect(refused({ rpm: "0" })).toStartWith("Requests/min:");
    expect(refused({ budget_usd: "0.00" })).toStartWith("Budget (USD):");
    expect(refused({ budget_usd: "-5" })).toStartWith("Budget (USD):");
  });
});

describe("limitsInput", () => {
  const shown = { models: "gpt-*", rpm: "5", tpm: "100", budget_usd: "" };

  test("what was changed is sent: a number as a number, an emptied one as null (lifted)", () => {
    expect(limitsInput({ models: "gpt-*, m1", rpm: "60", tpm: "", budget_usd: " 12.5 " }, shown)).toEqual({
      input: { models: ["gpt-*", "m1"], rpm: 60, tpm: null, budget_usd: 12.5 },
    });
  });

  test("what the admin left alone is not sent: another admin's change to it meanwhile stands", () => {
    expect(limitsInput({ ...shown, models: " gpt-* ", budget_usd: "5" }, shown)).toEqual({
      input: { budget_usd: 5 },
    });
    expect(limitsInput({ ...shown, rpm: " 5 " }, shown)).toEqual({
      error: "Nothing changed: the key already has these limits",
    });
  });

  test("a limit left alone is not checked: one the form shows as '1e-7' never blocks another change", () => {
    const tiny = { ...shown, budget_usd: "1e-7" };
    expect(limitsInput({ ...tiny, rpm: "9" }, tiny)).toEqual({ input: { rpm: 9 } });
    expect(limitsInput({ ...tiny, budget_usd: "1e-6" }, tiny)).toEqual({
      error:
        'Budget (USD): "1e-6" is not a dollar amount above 0, like 5 or 2.50 (leave it empty for no limit)',
    });
  });

  test("a limit that is not a plain positive number is refused, never sent as lifted", () => {
    expect(limitsInput({ models: "*", rpm: "", tpm: "", budget_usd: "$20" }, shown)).toEqual({
      error:
        'Budget (USD): "$20" is not a dollar amount above 0, like 5 or 2.50 (leave it empty for no limit)',
    });
  });
});
