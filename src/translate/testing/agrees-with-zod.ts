import { expect } from "bun:test";
import type { z } from "zod";

/**
 * For a hand check of an upstream body (plain-*.ts): whether it took `body`, asserting that
 * whatever it takes, `schema` (zod) takes too and reads the same.
 */
export const agreesWithZod =
  <T extends object>(check: (body: unknown) => T | undefined, schema: z.ZodType<T>) =>
  (body: unknown): boolean => {
    const plain = check(body);
    if (plain === undefined) return false;
    const judged = schema.safeParse(body);
    expect(judged.success).toBe(true);
    if (judged.success) expect(plain).toStrictEqual(judged.data);
    return true;
  };
