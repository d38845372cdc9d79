import { expect, test } from "bun:test";
import { keyInputSchemas } from "../../auth/key-admin-schemas.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { UsageError } from "../exit-code.ts";
import { limitsInput, type UpdateOptions } from "./limits-input.ts";

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

test("numbers as typed on the command line: a negative is told what is allowed, .5 is a number, garbage is no number", () => {
  const limits = keyInputSchemas().limits;
  const said = (options: UpdateOptions) => {
    const parsed = limits.safeParse(limitsInput(options));
    return parsed.success
      ? parsed.data
      : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)[0];
  };
  expect(said({ budget: "-3" })).toBe("budget_usd: must be more than 0 (leave it out for no budget)");
  expect(said({ rpm: "-1" })).toBe("rpm: must be at least 1 (leave it out for no limit)");
  expect(said({ budget: "abc" })).toBe("budget_usd: expected a number");
  expect(said({ rpm: "ten" })).toBe("rpm: expected a whole number");
  expect(said({ rpm: "1.5" })).toBe("rpm: expected a whole number");
  expect(said({ budget: ".5" })).toEqual({ budget_usd: 0.5 });
  expect(said({ budget: "2.", tpm: "+100" })).toEqual({ budget_usd: 2, tpm: 100 });
  // As a JSON number may be written (what the HTTP API takes): never told it is no number.
  expect(said({ budget: "1e5", tpm: "2E6" })).toEqual({ budget_usd: 100_000, tpm: 2_000_000 });
  expect(said({ budget: "2.5e-1" })).toEqual({ budget_usd: 0.25 });
  expect(said({ rpm: "1e-1" })).toBe("rpm: expected a whole number");
  expect(said({ budget: "1e999" })).toBe("budget_usd: expected a number");
  expect(said({ budget: "0x10" })).toBe("budget_usd: expected a number");
});

test("--expires-at is read as audit's --from/--to read a date-time: an offset without its colon ($(date +%FT%T%z)) or a time without seconds is the instant it names, sent with Z", () => {
  const limits = keyInputSchemas().limits;
  for (const expiresAt of [
    "2031-01-31T09:00:00+0900",
    "2031-01-31T09:00+09:00",
    "2031-01-31T00:00Z",
    "2031-01-31T00:00:00.000Z",
  ]) {
    const input = limitsInput({ expiresAt });
    expect({ expiresAt, input }).toEqual({ expiresAt, input: { expires_at: "2031-01-31T00:00:00.000Z" } });
    expect(limits.safeParse(input).success).toBe(true);
  }
});

test("--expires-at without Z or an offset (a date alone, a local time) is refused naming the flag and the forms taken, before any call", () => {
  for (const expiresAt of ["2031-01-31", "2031-01-31T09:00:00", "next year"]) {
    expect(() => limitsInput({ expiresAt })).toThrow(
      new UsageError(
        "--expires-at: expected an ISO 8601 date-time with Z or an offset (2031-01-31T00:00Z, 2031-01-31T09:00:00+09:00, 2031-01-31T09:00:00+0900 as `date +%FT%T%z` prints it), or none; a date alone or a time without Z or an offset is refused: it would be read in some machine's zone",
      ),
    );
  }
});
