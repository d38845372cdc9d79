import { expect, test } from "bun:test";
import { makeRecord } from "../../audit/audit-fixture.ts";
import { AuditWriter } from "../../audit/audit-writer.ts";
import { refusedRowsLog } from "../../audit/refused-rows-log.ts";
import { recordingLogger } from "../../testing/recording-logger.ts";
import { postgresFixture } from "./postgres-storage-fixture.ts";

// The PostgreSQL half of audit/refused-rows-log.test.ts: a row the database refuses is lost, and
// its log line names it (request id, SQLSTATE, the column), never its values or bodies.

const pg = postgresFixture();

test("a row PostgreSQL refuses is logged at error with its request id and the column it named, never its values", async () => {
  const { storage } = await pg.opened();
  const { logger, lines } = recordingLogger();
  const refused = refusedRowsLog(logger);
  const writer = new AuditWriter({ store: storage.audit, bodies: true, refusedRows: refused });
  writer.write(makeRecord({ requestId: "req_kept" }));
  writer.write(
    makeRecord({
      requestId: "req_refused",
      status: Number.NaN,
      requestBody: "secret-prompt",
      responseBody: "secret-answer",
    }),
  );
  await writer.flush();
  refused.stop();
  expect(writer.stats()).toMatchObject({ written: 1, rejected: 1 });
  const errors = lines.filter((line) => line.level === "error");
  expect(errors).toHaveLength(1);
  expect(errors[0]?.message).toContain("req_refused");
  expect(errors[0]?.message).toContain("22P02");
  expect(errors[0]?.message).toContain("column status");
  expect(errors[0]?.fields).toMatchObject({ requestId: "req_refused" });
  expect(JSON.stringify(lines)).not.toContain("secret");
  expect(JSON.stringify(lines)).not.toContain("NaN");
}, 60_000);
