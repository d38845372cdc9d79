import { expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { limitsInput } from "./limits-input.ts";

test("only the options given are sent; none lifts rpm, tpm and budget (null)", () => {
  expect(limitsInput({ rpm: "none", tpm: "100", budget: "none" })).toEqual({
    rpm: null,
    tpm: "100",
    budget_usd: null,
  });
});

test("--expires-in none and --expires-at none both say never expires: expires_at null", () => {
  expect(limitsInput({ expiresIn: "none" })).toEqual({ expires_at: null });
  expect(limitsInput({ expiresAt: "none" })).toEqual({ expires_at: null });
  expect(limitsInput({ expiresIn: "30d" })).toEqual({ expires_in: "30d" });
});

test('--models none is refused in the option\'s words: "*" is every model', () => {
  const refused = (() => {
    try {
      limitsInput({ models: "none", rpm: "1" });
    } catch (error) {
      return error;
    }
  })();
  expect(refused).toBeInstanceOf(GatewayError);
  expect([(refused as GatewayError).status, (refused as GatewayError).message]).toEqual([
    400,
    '--models none: a key needs at least one model glob; give "*" for every model',
  ]);
});
