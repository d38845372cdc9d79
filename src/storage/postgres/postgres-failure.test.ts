import { expect, test } from "bun:test";
import { describeError } from "../../core/describe-error.ts";
import { storageUnavailable } from "./postgres-failure.ts";

const tooManyClients = Object.assign(new Error("sorry, too many clients already"), { errno: "53300" });

test("the 503 tells the client nothing of the database; its log line names the database's own words", () => {
  const error = storageUnavailable(tooManyClients);
  expect(error).toMatchObject({ status: 503, code: "storage_unavailable" });
  expect(error.message).toBe("the database is unavailable; try again later");
  // What the spend flush, the key cache's refresh and a failed Responses store log (describeError).
  expect(describeError(error)).toBe(
    "GatewayError: the database is unavailable; try again later (sorry, too many clients already)",
  );
  expect(describeError(storageUnavailable())).toBe(
    "GatewayError: the database is unavailable; try again later",
  );
});

test("the cause is logged with what it wraps, on one line, without a credential or a URL's password", () => {
  const timedOut = new Error("no answer from PostgreSQL within 1000 ms", { cause: tooManyClients });
  expect(storageUnavailable(timedOut).detail).toBe(
    "no answer from PostgreSQL within 1000 ms: sorry, too many clients already",
  );
  const quoted = new Error(
    "cannot reach postgres://mindgw:hunter2@db:5432/mindgw\nwith key mgw_abcdefghijklmnopqrst",
  );
  expect(storageUnavailable(quoted).detail).toBe(
    "cannot reach postgres://mindgw:[redacted]@db:5432/mindgw with key [redacted]",
  );
});
