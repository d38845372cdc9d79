import { expect, test } from "bun:test";
import { ApiError } from "./api.ts";
import { sessionUnreadMessage } from "./session-unread.ts";

test("a session the gateway could not be reached for says so, with the browser's words", () => {
  expect(sessionUnreadMessage(new TypeError("Failed to fetch"))).toBe(
    "The gateway could not be reached to read the session (Failed to fetch). Check that it is running, then reload the page.",
  );
});

test("a session the gateway answered with an error says the gateway's message", () => {
  expect(sessionUnreadMessage(new ApiError(503, "the sessions could not be read"))).toBe(
    "The gateway could not read the session: the sessions could not be read. Reload the page to try again.",
  );
});
