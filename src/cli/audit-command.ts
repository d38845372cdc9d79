import { type Command, Option } from "commander";
import { auditQuerySchema } from "../audit/audit-query-schema.ts";
import { printable, printableJson } from "../core/printable.ts";
import { unknownTenantNote } from "../core/unknown-tenant-note.ts";
import { parseInput } from "../http/parse-input.ts";
import { type AuditInput, type AuditSource, localAudit, remoteAudit } from "./audit/audit-source.ts";
import { auditTable } from "./audit/audit-table.ts";
import { importConfig } from "./audit/import-config.ts";
import { importRows } from "./audit/import-rows.ts";
import { writeChunks } from "./audit/write-chunks.ts";
import { chooseTarget, MIGRATE_HELP, type TargetFlags, withTargetOptions } from "./command-target.ts";
import { UsageError } from "./exit-code.ts";
import { withFlagWords } from "./flag-words.ts";
import { givenFlag } from "./given-flag.ts";
import { configFileFrom, resolveStoreConfig } from "./resolve-config.ts";
import { sinceTime, spanAgo, spanOf } from "./time-flags.ts";

interface AuditOptions extends TargetFlags {
  json?: boolean;
  format?: string;
  output?: string;
  [flag: string]: string | boolean | undefined;
}

/** Flags passed on verbatim as query fields, so the CLI and the HTTP API share one spelling. */
const QUERY_FLAGS = [
  "from",
  "to",
  "key",
  "tenant",
  "model",
  "route",
  "app",
  "status",
  "order",
  "limit",
  "cursor",
] as const;

const FILTER_HELP = `
Filters (the same spellings as /admin/api/audit):
  --from/--to   epoch milliseconds, a date (2025-01-31: its UTC midnight), ISO 8601 with Z or an
                offset (2025-01-31T12:00Z, …T12:00:00+09:00, $(date +%FT%T%z); a time without
                one is refused), or a duration: that long ago (--from 1h); from inclusive, to
                exclusive
  --since       a duration, as --from: --since 1h is the last hour (as shadow report --since)
  --key         a key id or a key name; a JWT caller's id is jwt:<tenant>:<name>, its name the
                name claim (a name matches every caller of that name, an id that caller alone:
                a value starting jwt: or key_ matches ids only, never a name spelt so)
  --route       provider:<name>, worker:<name> (its rows on every node: worker:<name>@<node> too)
                or worker:<name>@<node> (one node's)
  --status      a class (1xx … 5xx, or 4XX; 101 is a WebSocket upgrade) or an exact status (429)`;

async function sourceFor(options: AuditOptions): Promise<AuditSource> {
  const target = chooseTarget(options);
  if (target.kind === "gateway") return remoteAudit(target.url, target.adminKey);
  return await localAudit((await resolveStoreConfig(target.configFile)).config, options.migrate === true);
}

/**
 * The query fields the user gave, checked with the API's own schema before anything runs. A time
 * given as a duration (`--since 1h`, `--from 2h`, `--to 30m`) is sent as the epoch milliseconds it
 * stands for now, so the gateway asked reads the same range.
 */
function inputOf(options: AuditOptions): AuditInput {
  const input: AuditInput = {};
  for (const flag of QUERY_FLAGS) {
    // Given empty (`--tenant "$T"` unset) it is refused by name: the API reads `tenant=` as no
    // filter, and every tenant's rows would be printed, unasked (given-flag.ts).
    const value = options[flag];
    if (typeof value === "string") input[flag] = givenFlag(`--${flag}`, value) ?? value;
  }
  const now = Date.now();
  for (const bound of ["from", "to"] as const) {
    const span = input[bound] === undefined ? undefined : spanOf(input[bound]);
    if (span !== undefined) input[bound] = String(spanAgo(span, now));
  }
  if (typeof options.since === "string") {
    if (input.from !== undefined)
      throw new UsageError("--since and --from both set where the range starts: give one");
    input.from = String(sinceTime(options.since, now));
  }
  let range: { from?: number | undefined; to?: number | undefined };
  try {
    range = parseInput(auditQuerySchema, input);
  } catch (error) {
    // `limit: Too small…` is the API's word for what `--limit` gave: said as `--limit: …`.
    throw withFlagWords(error, QUERY_FLAGS);
  }
  // A range that ends where or before it starts holds no time, as `--since 0s` holds none: refused,
  // where an empty page (exit 0) read as nothing recorded.
  if (range.from !== undefined && range.to !== undefined && range.from >= range.to) {
    const start = typeof options.since === "string" ? "--since" : "--from";
    throw new UsageError(
      `--to: not after ${start}: no time lies between them, so no row could match (${start} is inclusive, --to exclusive)`,
    );
  }
  return input;
}

function withTarget(command: Command): Command {
  return withTargetOptions(command, "read the database of this config, opened read-only")
    .option("--from <time>", "arrived at or after this time (or a duration ago: 1h)")
    .option("--to <time>", "arrived before this time (or a duration ago)")
    .option("--since <duration>", "arrived in this last span, e.g. 1h, 30m, 7d (as --from 1h)")
    .option("--key <id-or-name>", "only this key")
    .option("--tenant <name>", "only callers of this tenant")
    .option("--model <name>", "only this model (as the client asked)")
    .option("--route <route>", "only this route, e.g. provider:openai")
    .option("--app <name>", "only requests through this app (apps:)")
    .option("--status <status>", "a status class (4xx) or an exact status (429)")
    .addHelpText("after", FILTER_HELP);
}

async function withSource(options: AuditOptions, run: (source: AuditSource) => Promise<void>) {
  const source = await sourceFor(options);
  try {
    await run(source);
  } catch (error) {
    // A gateway's refusal of a filter (`tenant: …`), in the flag's words as the CLI's own checks.
    throw withFlagWords(error, QUERY_FLAGS);
  } finally {
    await source.close();
  }
}

export function registerAudit(program: Command): void {
  const audit = program.command("audit").description("query, export and import the audit log");
  withTarget(
    audit
      .command("query")
      .description(
        "print one page of audit rows, newest first: a table, or NDJSON with --json; " +
          "when more rows match, the next page's --cursor is printed on stderr",
      ),
  )
    .option("--limit <n>", "rows per page, 1-1000", "100")
    .option("--cursor <cursor>", "continue after the page that printed this cursor")
    .option("--order <order>", "desc (newest first) or asc", "desc")
    .option("--json", "print NDJSON: one audit record per line")
    .action(async (options: AuditOptions) => {
      const input = inputOf(options);
      await withSource(options, async (source) => {
        const page = await source.page(input);
        process.stdout.write(
          options.json ? page.records.map((r) => `${printableJson(r)}\n`).join("") : auditTable(page.records),
        );
        if (page.nextCursor !== null) process.stderr.write(`next page: --cursor ${page.nextCursor}\n`);
        const note =
          page.records.length === 0 && input.tenant !== undefined && input.cursor === undefined
            ? unknownTenantNote(
                input.tenant,
                await source.tenantNames(),
                `no audit row matched --tenant ${printable(input.tenant)}`,
              )
            : undefined;
        if (note) process.stderr.write(`mindgw: ${note}\n`);
      });
    });
  withTarget(
    audit
      .command("export")
      .description("stream every matching row, oldest first, as NDJSON or CSV (constant memory)"),
  )
    .option("--format <format>", "ndjson or csv", "ndjson")
    .option("--order <order>", "asc (oldest first) or desc", "asc")
    .option(
      "-o, --output <file>",
      "write to this file instead of stdout (replaced only once the export is whole)",
    )
    .action(async (options: AuditOptions) => {
      const format = options.format;
      if (format !== "ndjson" && format !== "csv") throw new UsageError(`--format: expected ndjson or csv`);
      // `-o "$OUT"` unset: refused before the export runs, never a rename to "" once it is whole.
      const output = givenFlag("-o/--output", options.output);
      const input = inputOf(options);
      await withSource(options, (source) => writeChunks(source.export(input, format), output));
    });
  audit
    .command("import")
    .description(
      "store audit rows a stop could not write (its .ndjson file, an export, or its stderr lines; - reads stdin), " +
        "skipping rows already stored, and add their cost to the spend totals once",
    )
    .argument(
      "<file>",
      "NDJSON as `mindgw audit export` writes it, or a journal excerpt with the stop's marker lines",
    )
    .option(
      "-c, --config <file>",
      "write to the database of this config (default: $MINDGW_CONFIG, else ./data)",
    )
    .option("--migrate", MIGRATE_HELP)
    .option("--no-spend", "do not add the rows' cost to the spend totals (the stop's spend flush succeeded)")
    .option(
      "--spend-stored",
      "add the cost of rows already stored too: the stop's own write stored them, and its spend flush failed (an unwritten-maybe-stored file's first import)",
    )
    .option(
      "--skip-bad",
      "import the good lines and name the bad ones (exit 1), instead of importing nothing: a journal excerpt with a row split in pieces",
    )
    // Taken only to be refused in our words: commander's "unknown option '--gateway'" said no
    // more, where every other audit command takes it.
    .addOption(new Option("--gateway <url>").hideHelp())
    .addOption(new Option("--admin-key <key>").hideHelp())
    .addHelpText("after", IMPORT_HELP)
    .action(async (file: string, options: ImportFlags) => {
      refuseGatewayForImport(file, options);
      // The spend goes where the gateway counted it, by the tenant rules `models:` shapes too (a
      // model scoped to a tenant gives callers outside every tenant rules, and `default` a day's and
      // a month's total): read the whole file, as `serve` does. Without spend, the store alone.
      const config = await importConfig(configFileFrom(options.config), options.spend);
      await importRows(file, config, {
        spend: options.spend,
        spendStored: options.spendStored === true,
        skipBad: options.skipBad === true,
        migrate: options.migrate === true,
      });
    });
}

interface ImportFlags {
  config?: string;
  gateway?: string;
  adminKey?: string;
  migrate?: boolean;
  spend: boolean;
  spendStored?: boolean;
  skipBad?: boolean;
}

/** `audit import` given a gateway: it writes the store itself, and says whose, never echoing the URL or key. */
function refuseGatewayForImport(file: string, options: ImportFlags): void {
  const given = [
    ...(options.gateway === undefined ? [] : ["--gateway"]),
    ...(options.adminKey === undefined ? [] : ["--admin-key"]),
  ];
  if (given.length === 0) return;
  const config = options.config === undefined ? "<file>" : printable(options.config);
  throw new UsageError(
    `audit import takes no ${given.join(" or ")}: it writes the store itself, the one of -c FILE or MINDGW_CONFIG: mindgw audit import ${printable(file)} -c ${config}`,
  );
}

const IMPORT_HELP = `
Every line is checked before anything is stored: a bad line is named by its number and nothing is
imported (with --skip-bad the good lines are, the bad ones named, and the command exits 1). The
new rows are stored in one transaction; a row whose request id and start are stored already is
skipped and counted (as many with one request id and start as are stored: two requests a client
sent with one x-request-id in one millisecond stay two rows), so importing a file twice (or an
unwritten-maybe-stored file) is harmless. Their cost is added to the spend totals the gateway would have added it to (the key's,
and its tenant's budget period under this config), once: a skipped row adds none (imported before,
its cost was added then). Of an unwritten-maybe-stored file alone, the skipped rows' cost is
printed as possibly owed (the stop's own write may have stored them, its spend flush failing), the
rows saved to a file beside the input that --spend-stored imports for their spend.
Adding spend reads the whole config, as serve does: load the service's environment file (an
upstream's \${VAR} unset here refuses the file), or use --no-spend, which reads its storage alone.`;
