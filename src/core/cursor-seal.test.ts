import { expect, test } from "bun:test";
import { cursorSeal } from "./cursor-seal.ts";

// A tenant reader's audit cursor is sealed (audit/audit-cursor.ts): what it holds, a row's place in the
// whole log, is neither readable nor made up by the reader, and every node of a cluster opens what
// another sealed.

const SECRET = "a cluster secret of at least sixteen characters";
const position = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

test("what one node seals with the cluster's secret, another node with it opens", () => {
  const sealed = cursorSeal(SECRET, "audit cursor").seal(position);
  expect(cursorSeal(SECRET, "audit cursor").open(sealed)).toEqual(position);
});

test("what a process sealed with the secret kept in storage, the next process with it opens; another storage's opens none", () => {
  const kept = new Uint8Array(32).fill(9);
  const sealed = cursorSeal(kept, "audit cursor").seal(position);
  expect(cursorSeal(new Uint8Array(kept), "audit cursor").open(sealed)).toEqual(position);
  expect(cursorSeal(new Uint8Array(32).fill(8), "audit cursor").open(sealed)).toBeUndefined();
  expect(cursorSeal(kept, "admin action id").open(sealed)).toBeUndefined();
});

test("a seal hides what it holds: the same bytes sealed twice read differently, at one length", () => {
  const seal = cursorSeal(SECRET, "audit cursor");
  const [one, two] = [seal.seal(position), seal.seal(position)];
  expect(one).not.toBe(two);
  expect(one.length).toBe(two.length);
  expect(Buffer.from(one, "base64url").includes(Buffer.from(position))).toBe(false);
});

test("a cursor changed, cut, of another secret or of none is not opened", () => {
  const seal = cursorSeal(SECRET, "audit cursor");
  const sealed = seal.seal(position);
  const bytes = Buffer.from(sealed, "base64url");
  for (const at of [0, 12, bytes.length - 1]) {
    const changed = Buffer.from(bytes);
    changed[at] = (changed[at] ?? 0) ^ 1;
    expect(seal.open(changed.toString("base64url"))).toBeUndefined();
  }
  expect(seal.open(sealed.slice(0, -4))).toBeUndefined();
  expect(seal.open("")).toBeUndefined();
  expect(seal.open("not base64url at all!")).toBeUndefined();
  expect(cursorSeal(`${SECRET}, another`, "audit cursor").open(sealed)).toBeUndefined();
  // Without a secret (an embedder's storage that keeps none) the key is the process's own.
  expect(
    cursorSeal(undefined, "audit cursor").open(cursorSeal(undefined, "audit cursor").seal(position)),
  ).toBeUndefined();
  const own = cursorSeal(undefined, "audit cursor");
  expect(own.open(own.seal(position))).toEqual(position);
});

test("one use's seal is not opened as another's: an audit cursor is no admin action's id", () => {
  const sealed = cursorSeal(SECRET, "audit cursor").seal(position);
  expect(cursorSeal(SECRET, "admin action id").open(sealed)).toBeUndefined();
});
