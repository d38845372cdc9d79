import { describe, expect, test } from "bun:test";
import { makeRecord } from "../../audit/audit-fixture.ts";
import { auditTable } from "./audit-table.ts";

describe("auditTable", () => {
  test("an APP column when a row of the page came through an app, none otherwise", () => {
    const root = makeRecord({ requestId: "req_root", keyId: "key_1", keyName: "ci" });
    const billing = makeRecord({ requestId: "req_billing", keyId: "key_1", keyName: "ci", app: "billing" });
    const [titles = "", ...rows] = auditTable([billing, root]).split("\n");
    expect(titles).toMatch(/^TIME +STATUS +KEY +APP +MODEL /);
    const appOf = (line: string) => line.slice(titles.indexOf("APP")).split(/ +/)[0];
    expect(rows.filter(Boolean).map(appOf)).toEqual(["billing", "-"]);
    expect(auditTable([root]).split("\n")[0]).toMatch(/^TIME +STATUS +KEY +MODEL /);
  });
});
