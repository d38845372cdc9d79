import { expect, test } from "bun:test";
import type { ResponsesContext } from "../routing/adapt-dialect.ts";
import { copyResponsesContext } from "./copy-responses-context.ts";

test("a shadow copy's context is the client's chain, but saves nothing under the client's response id, answered or failed", () => {
  const called: string[] = [];
  const client: ResponsesContext = {
    id: "resp_client",
    previous: [{ role: "user", content: "earlier turn" }],
    onResponse: () => called.push("onResponse"),
    onFailed: () => called.push("onFailed"),
  };
  const copy = copyResponsesContext(client);
  expect(copy?.id).toBe("resp_client");
  expect(copy?.previous).toBe(client.previous);
  copy?.onResponse({ id: "resp_client", status: "completed" }, "openai");
  copy?.onFailed?.({ id: "resp_client", status: "failed" });
  expect(called).toEqual([]);
  expect(copyResponsesContext(undefined)).toBeUndefined();
});
