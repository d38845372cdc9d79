import type { Command } from "commander";
import { z } from "zod";
import { readsAsCallerId } from "../auth/caller-id.ts";
import { printable } from "../core/printable.ts";
import { shadowPairsPage } from "../http/admin/shadow-pairs-page.ts";
import { parseInput } from "../http/parse-input.ts";
import { type ShadowPage, type ShadowQuery, shadowSchemas } from "../shadow/shadow-api-schema.ts";
import { shadowFilter } from "../shadow/shadow-filter.ts";
import type { ShadowCounts } from "../telemetry/metrics/metric-sources.ts";
import { adminFetch } from "./admin-fetch.ts";
import { answeredShape } from "./answered-shape.ts";
import { chooseTarget, type TargetFlags, withTargetOptions } from "./command-target.ts";
import { openConfigStoreReadOnly } from "./config-store.ts";
import { withFlagWords } from "./flag-words.ts";
import { givenFlag } from "./given-flag.ts";
import { resolveStoreConfig } from "./resolve-config.ts";
import { shadowTable } from "./shadow-table.ts";
import { sinceTime } from "./time-flags.ts";

interface ReportOptions extends TargetFlags {
  model?: string;
  keyId?: string;
  since?: string;
  limit: string;
  cursor?: string;
  json?: boolean;
}

/** The answering node's copies, under the table of a report read through a gateway. */
function copiesLine({ inFlight, shed, skipped, ended }: ShadowCounts): string {
  const over = ended.map((c) => `${c.provider} ${c.outcome} ${c.count}`).join(", ");
  // Skipped (the route could not carry the request) is said only when some were.
  const notCarried = skipped > 0 ? `, ${skipped} skipped (not carried)` : "";
  return `\ncopies on this node since it started: ${inFlight} in flight, ${shed} shed${notCarried}${over ? `; over: ${over}` : ""}\n`;
}

/**
 * A report as every gateway's answer holds it (answered-shape.ts): the pairs (printed whole by
 * --json, never read field by field), the cursor and each model's figures, all answered since the
 * report came; the copy counts only since a later release, and `skipped` among them later still.
 * Checked where the table would end on a script error (`{"aggregates":[1]}`): a usage error instead.
 */
const answeredReport = () =>
  z.object({
    records: z.array(z.unknown()),
    nextCursor: z.string().nullable(),
    aggregates: z.array(answeredShape(shadowSchemas().aggregate, "all")),
    counts: z
      .object({
        inFlight: z.number(),
        shed: z.number(),
        skipped: z.number().optional(),
        ended: z.array(z.object({ provider: z.string(), outcome: z.string(), count: z.number() })),
      })
      .nullable()
      .optional(),
  });

/** The report's filters, in `/admin/api/shadow`'s spelling (`--key-id` is its `key_id`). */
interface ReportQuery {
  /** The query string a gateway is sent. */
  sent: Record<string, string>;
  /** The same, as the schema reads it: what a database is read with. */
  query: ShadowQuery;
}

/**
 * The flags as the report's query, checked by the API's own schema before anything runs: through a
 * gateway and from a database, the same filters refuse and select alike.
 */
function reportQuery(options: ReportOptions, now: number): ReportQuery {
  const sent: Record<string, string> = {
    ...(options.model !== undefined ? { model: options.model } : {}),
    ...(options.keyId !== undefined ? { key_id: options.keyId } : {}),
    ...(options.since !== undefined ? { from: String(sinceTime(options.since, now)) } : {}),
    limit: options.limit,
    // Given empty (`--cursor "$NEXT"` unset), refused by name: read as unset, page one again.
    ...(options.cursor !== undefined ? { cursor: givenFlag("--cursor", options.cursor) ?? "" } : {}),
  };
  try {
    return { sent, query: parseInput(shadowSchemas().query, sent) };
  } catch (error) {
    // `key_id: …` is what `--key-id` gave, `model: …` what `--model` did.
    throw withFlagWords(error, REPORT_FIELDS, { flagOf: { from: "--since" } });
  }
}

/** The query fields the report's flags fill: `from` is `--since`'s time. */
const REPORT_FIELDS = ["model", "key_id", "from", "limit", "cursor"];

async function localReport(
  configFile: string | undefined,
  query: ShadowQuery,
  migrate: boolean,
): Promise<ShadowPage> {
  const { config } = await resolveStoreConfig(configFile);
  // Read-only, as audit query -c: beside a serving gateway, and on a read-only copy of its file.
  const storage = await openConfigStoreReadOnly(config, migrate);
  try {
    // The operator's own database: every tenant's pairs, unless the query names one.
    const filter = shadowFilter(query, query.tenant);
    const store = storage.shadow;
    if (!store) return { records: [], nextCursor: null, aggregates: [], counts: null };
    // Paged as the admin API pages it: `nextCursor` says whether older pairs are left out.
    const { records, nextCursor } = await shadowPairsPage(store, filter, query.cursor ?? null, query.limit);
    return { records, nextCursor, aggregates: await store.aggregate(filter), counts: null };
  } finally {
    await storage.close();
  }
}

/**
 * `--key-id carol` matches no caller: a pair names its caller by id alone, and a name is never one
 * (key-admin-schemas.ts refuses a key name spelt as an id). Said on stderr, where a report that
 * matched nothing was taken for a caller with no pairs.
 */
function nameForKeyId(keyId: string): void {
  if (readsAsCallerId(keyId)) return;
  const name = printable(keyId);
  process.stderr.write(
    `mindgw: --key-id ${name} is no caller's id (a key's key_…, a JWT caller's jwt:<tenant>:<name>) but reads as a name, which --key-id never matches; \`mindgw keys show ${name}\` prints that key's id\n`,
  );
}

export function registerShadow(program: Command): void {
  const report = program
    .command("shadow")
    .description("shadow comparisons")
    .command("report")
    .description("how shadow answers compared with the primary's, per model");
  withTargetOptions(report, "read the database of this config")
    .option("--model <name>", "only this model (as the client asked)")
    .option(
      "--key-id <id>",
      "only this caller's pairs, by its id: a key's key_…, a JWT caller's jwt:<tenant>:<name> (never a name)",
    )
    .option("--since <duration>", "only pairs recorded in this last span, e.g. 1h, 30m, 7d")
    .option("--limit <n>", "pairs a page, 1-500: the table counts them, --json lists them", "20")
    .option("--cursor <cursor>", "the page after the one whose nextCursor this is (--json prints it)")
    .option("--json", "print the report as JSON (the /admin/api/shadow shape)")
    .action(async (options: ReportOptions) => {
      const { sent, query } = reportQuery(options, Date.now());
      const target = chooseTarget(options);
      const page = await (target.kind === "gateway"
        ? adminFetch<ShadowPage>(target.url, target.adminKey, {
            path: `/admin/api/shadow?${new URLSearchParams(sent)}`,
            holds: "records",
            shape: answeredReport(),
          })
        : localReport(target.configFile, query, options.migrate === true)
      ).catch((error: unknown) => {
        // A cursor naming no pair (`cursor: …`), the store's or the gateway's word: said as `--cursor: …`.
        throw withFlagWords(error, REPORT_FIELDS, { flagOf: { from: "--since" } });
      });
      if (options.keyId !== undefined && page.records.length === 0) nameForKeyId(options.keyId);
      if (options.json) process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
      else {
        const asked = {
          filtered: options.model !== undefined || options.keyId !== undefined,
          ranged: options.since !== undefined,
        };
        process.stdout.write(
          shadowTable(page.aggregates, asked, {
            pairs: page.records.length,
            more: page.nextCursor !== null,
          }) + (page.counts ? copiesLine(page.counts) : ""),
        );
      }
    });
}
