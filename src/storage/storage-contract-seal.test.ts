/**
 * The storage contract, every backend (storage-contract-fixture.ts): `sealSecret`, the secret a
 * gateway without `cluster.secret` seals with (core/shared-key.ts).
 */
import { describe, expect, test } from "bun:test";
import { contractBackends } from "./storage-contract-fixture.ts";

for (const [name, fresh, shared] of contractBackends()) {
  describe(`Storage contract: ${name}`, () => {
    test("seal secret: 32 bytes made at the first ask, the same to every handle that asks at once and to one opened later; another database's is its own", async () => {
      const database = await shared();
      const handles = await Promise.all([1, 2, 3].map(() => database.open()));
      const secrets = await Promise.all(
        handles.map((handle) => {
          if (!handle.sealSecret) throw new Error("this backend keeps no seal secret");
          return handle.sealSecret();
        }),
      );
      const [first] = secrets;
      expect(first?.length).toBe(32);
      for (const secret of secrets) expect(Buffer.from(secret).equals(Buffer.from(first ?? []))).toBe(true);
      const later = await (await database.open()).sealSecret?.();
      expect(Buffer.from(later ?? []).equals(Buffer.from(first ?? []))).toBe(true);
      const other = await (await fresh()).sealSecret?.();
      expect(other?.length).toBe(32);
      expect(Buffer.from(other ?? []).equals(Buffer.from(first ?? []))).toBe(false);
    });
  });
}
