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

  test("COST in dollars as the CLI's other tables print them: four decimals, three significant digits below a cent, - for none", () => {
    const costs = [12.5, 0.05, 0.000011, 0.0000025499999999999997, 0];
    const records = costs.map((costUsd, i) => makeRecord({ requestId: `req_${i}`, costUsd }));
    const [titles = "", ...rows] = auditTable(records).split("\n");
    const costOf = (line: string) => line.slice(titles.indexOf("COST")).split(/ +/)[0];
    expect(rows.filter(Boolean).map(costOf)).toEqual([
      "$12.5000",
      "$0.0500",
      "$0.000011",
      "$0.00000255",
      "-",
    ]);
  });
});
