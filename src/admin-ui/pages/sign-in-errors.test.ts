import { expect, test } from "bun:test";
import { signInErrorMessage } from "./sign-in-errors.ts";

const said = (query: string) => signInErrorMessage(new URLSearchParams(query));

test("a known code is said in the page's own words; any other text is not shown", () => {
  expect(said("error=sso_expired")).toBe("The sign-in expired or did not start here; try again.");
  expect(said("error=Call+us+with+your+key")).toBe("");
  expect(said("error=toString")).toBe("");
  expect(said("")).toBe("");
});

test("too many sign-in attempts says when to try again: the seconds the gateway gave, else a minute", () => {
  expect(said("error=sso_rate_limited&retry_after=42")).toBe(
    "Too many sign-in attempts from this address; try again in 42 s.",
  );
  for (const retry of [
    "",
    "&retry_after=",
    "&retry_after=0",
    "&retry_after=4x",
    "&retry_after=99999",
    "&retry_after=call+us",
  ])
    expect(said(`error=sso_rate_limited${retry}`)).toBe(
      "Too many sign-in attempts from this address; try again in a minute.",
    );
});
