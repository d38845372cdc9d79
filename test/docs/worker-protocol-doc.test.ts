/**
 * docs/worker-protocol.md is what a worker written in another language is built from: its frame
 * tables say what the gateway's schemas (src/workers/protocol.ts) take and send. A frame type,
 * field or error code added on one side and not the other fails here, whichever side it is.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GatewayFrame, PROTOCOL_VERSION, TunnelErrorCode, WorkerFrame } from "../../src/workers/protocol.ts";
import { ROOT } from "./doc-blocks.ts";

const DOC = readFileSync(join(ROOT, "docs/worker-protocol.md"), "utf8");

/** A row of a frame table: the type, the fields its second column names, the whole row. */
interface Row {
  readonly type: string;
  readonly fields: string[];
  readonly text: string;
}

/** The rows of the table under `### <heading>`, one per frame type. */
function tableRows(heading: string): Row[] {
  const section = DOC.split(`\n### ${heading}\n`)[1]?.split(/\n#/)[0] ?? "";
  return section
    .split("\n")
    .filter((line) => /^\| `\w+` \|/.test(line))
    .map((line) => {
      const cells = line.split(" | ");
      // A field's own words in parentheses (`status` (200–599)) name no field.
      const fields = (cells[1] ?? "").replace(/\([^)]*\)/g, "");
      return {
        type: /`(\w+)`/.exec(cells[0] ?? "")?.[1] ?? "",
        fields: [...fields.matchAll(/`(\w+)/g)].map((match) => match[1] ?? ""),
        text: line,
      };
    });
}

/** Each frame type of a schema union and the fields its object has (its `type` aside). */
function schemaFields(union: typeof WorkerFrame | typeof GatewayFrame): Map<string, string[]> {
  return new Map(
    union.options.map((option) => [
      option.shape.type.value,
      Object.keys(option.shape).filter((key) => key !== "type"),
    ]),
  );
}

const TABLES = [
  { heading: "Worker → gateway", union: WorkerFrame },
  { heading: "Gateway → worker", union: GatewayFrame },
] as const;

test("the frame tables name the frame types of the schemas, each once", () => {
  for (const { heading, union } of TABLES) {
    const documented = tableRows(heading).map((row) => row.type);
    expect({ heading, types: documented.toSorted() }).toEqual({
      heading,
      types: [...schemaFields(union).keys()].toSorted(),
    });
  }
});

test("each field a table names is its frame's, and each of a frame's fields is told of", () => {
  const problems: string[] = [];
  for (const { heading, union } of TABLES) {
    const schema = schemaFields(union);
    for (const row of tableRows(heading)) {
      const fields = schema.get(row.type) ?? [];
      for (const field of row.fields)
        if (!fields.includes(field)) problems.push(`${heading} ${row.type}: no field ${field}`);
      // In its row (the fields, or the meaning for an optional one), or, for a field that only
      // cluster nodes send each other, in the peer links' section as `frame.field`.
      for (const field of fields)
        if (!row.text.includes(`\`${field}`) && !DOC.includes(`\`${row.type}.${field}\``))
          problems.push(`${heading} ${row.type}: ${field} untold`);
    }
  }
  expect(problems).toEqual([]);
});

test("the version in the title is the protocol's, and every error code is told of", () => {
  expect(DOC.split("\n")[0]).toBe(`# Worker protocol, version ${PROTOCOL_VERSION}`);
  expect(TunnelErrorCode.options.filter((code) => !DOC.includes(`\`${code}\``))).toEqual([]);
});
