import { expect, test } from "bun:test";
import { dollars } from "./dollars.ts";

test("a dollar figure keeps four decimals, and below a cent three significant digits", () => {
  expect(dollars(12.5)).toBe("$12.5000");
  expect(dollars(1234.56789)).toBe("$1234.5679");
  expect(dollars(0.05)).toBe("$0.0500");
  expect(dollars(0)).toBe("$0.0000");
  expect(dollars(0.00123456)).toBe("$0.00123");
  expect(dollars(0.000011)).toBe("$0.000011");
  expect(dollars(0.0000025499999999999997)).toBe("$0.00000255");
  // A sum's float noise is not shown.
  expect(dollars(1.0999999999999999)).toBe("$1.1000");
  expect(dollars(0.000011 * 3)).toBe("$0.000033");
});

test("loading the module makes no Intl formatter: the first figure below a cent does (a gateway's start maps no ICU number data for it)", async () => {
  const made: unknown[] = [];
  const { NumberFormat } = Intl;
  const counting = new Proxy(NumberFormat, {
    construct(target, args: ConstructorParameters<typeof Intl.NumberFormat>) {
      made.push(args);
      return new target(...args);
    },
  });
  Intl.NumberFormat = counting;
  try {
    // A fresh copy of the module (its own query), loaded while constructions are counted.
    const freshCopy = "./dollars.ts?fresh-load";
    const fresh = (await import(freshCopy)) as typeof import("./dollars.ts");
    expect(made).toHaveLength(0);
    expect(fresh.dollars(12.5)).toBe("$12.5000");
    expect(made).toHaveLength(0);
    expect(fresh.dollars(0.000011)).toBe("$0.000011");
    expect(fresh.dollars(0.00123456)).toBe("$0.00123");
    expect(made).toHaveLength(1);
  } finally {
    Intl.NumberFormat = NumberFormat;
  }
});
