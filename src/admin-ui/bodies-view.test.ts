import { expect, test } from "bun:test";
import { bodiesView } from "./bodies-view.ts";

test("bodies still being read, or whose read failed, are never said to be not stored", () => {
  expect(bodiesView({ data: undefined, error: undefined })).toEqual({ state: "reading" });
  expect(bodiesView({ data: undefined, error: "HTTP 503" })).toEqual({ state: "failed", error: "HTTP 503" });
});

test("not stored only when the audit log answered without them", () => {
  expect(bodiesView({ data: null, error: undefined })).toEqual({ state: "none" });
  expect(bodiesView({ data: { requestBody: null, responseBody: null }, error: undefined })).toEqual({
    state: "none",
  });
  expect(bodiesView({ data: { requestBody: "{}", responseBody: null }, error: undefined })).toEqual({
    state: "stored",
    request: "{}",
    response: null,
  });
});
