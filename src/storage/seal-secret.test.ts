import { expect, test } from "bun:test";
import { newSealSecret, sealSecretBytes } from "./seal-secret.ts";

test("a kept secret reads back as its 32 bytes; a row that is none (edited by hand) is refused, naming the table and not the value", () => {
  const kept = newSealSecret();
  expect(Buffer.from(sealSecretBytes(kept)).toString("base64url")).toBe(kept);
  expect(newSealSecret()).not.toBe(kept);
  for (const edited of ["", kept.slice(1), `${kept}AA`, "not base64url!", "a".repeat(43)]) {
    const refusal = (() => {
      try {
        sealSecretBytes(edited);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(refusal).toStartWith("seal_secret holds no secret of 32 bytes");
    if (edited !== "") expect(refusal).not.toContain(edited);
  }
});
