import type { SQL } from "bun";
import type { BackfillState } from "./postgres-backfill.ts";
import type { PostgresCalls } from "./postgres-calls.ts";
import { responseItemBackfill } from "./postgres-item-backfill.ts";

/**
 * `ResponseStore.responseOfItem` over PostgreSQL. The lookups asked in one turn (a Responses
 * request looks up every id its input carries at once, each in the caller's scopes) are answered
 * by one statement per tenant: until the item backfill is done, the ids the index misses have the
 * tenant's rows it has not reached read for them, a read then paid once for them all, not once an id.
 */
export function postgresItemLookup(
  calls: PostgresCalls,
  indexed: BackfillState,
): (tenant: string, itemId: string) => Promise<string | null> {
  return lookupsByTurn(async (tenant, itemIds) => {
    const rows: { item_id: string; response_id: string }[] = await calls.read((db) =>
      responsesOfItems(db, tenant, itemIds, indexed.done),
    );
    const found = new Map<string, string>();
    // An item two unreached responses hold: either, as the index keeps one.
    for (const row of rows) if (!found.has(row.item_id)) found.set(row.item_id, row.response_id);
    return found;
  });
}

/**
 * The tenant's response holding each of `itemIds`: the index the triggers keep (responses
 * migration 4), and, until its backfill is done, for the ids it misses, the rows the backfill has
 * not reached (past its position, or all of them before its first batch). Of those, for a few
 * missed ids only a row whose text holds one of them as JSON writes it has its JSON parsed, where a
 * parse of every row took seconds on 100,000; past SEARCHED_IDS_AT_MOST every row is parsed, once,
 * as the search of its text grows with the ids and would cost more. One statement, so one
 * snapshot: a batch committing meanwhile moves a row from the one to the other, and two statements
 * could both miss it.
 */
function responsesOfItems(db: SQL, tenant: string, itemIds: readonly string[], backfilled: boolean) {
  const ids = db.array([...itemIds], "TEXT");
  if (backfilled)
    return db`SELECT item_id, response_id FROM stored_response_items
      WHERE tenant = ${tenant} AND item_id = ANY(${ids}::text[])`;
  const { component, version } = responseItemBackfill.mark;
  return db`
    WITH indexed AS (
      SELECT item_id, response_id FROM stored_response_items
      WHERE tenant = ${tenant} AND item_id = ANY(${ids}::text[])
    ), missed AS (
      SELECT item_id, regexp_replace(to_json(item_id)::text, ${REGEX_SPECIALS}, ${ESCAPED}, 'g') AS written
      FROM (SELECT unnest(${ids}::text[]) AS item_id EXCEPT SELECT item_id FROM indexed) m
    ), patterns AS (
      -- Any missed id as a stored response's text holds it (written by JSON.stringify, as to_json
      -- writes it), in regular expressions of PATTERN_CHARS characters or so, each row's text
      -- searched once a pattern: one of them all may be too long for PostgreSQL ('too complex').
      SELECT string_agg(written, '|') AS pattern
      FROM (SELECT written, sum(length(written) + 1) OVER (ORDER BY item_id) / ${PATTERN_CHARS} AS part FROM missed) m
      GROUP BY part
    ), position AS (
      SELECT after::json ->> 0 AS tenant, after::json ->> 1 AS id FROM backfill_progress
      WHERE component = ${component} AND version = ${version} AND after IS NOT NULL
    ), unreached AS MATERIALIZED (
      -- Each row read once (a plan may otherwise read them again for each id), and only for a miss.
      SELECT r.id, stored_response_item_ids(r.response) AS item_ids FROM stored_responses r
      WHERE EXISTS (SELECT 1 FROM missed)
        AND NOT EXISTS (SELECT 1 FROM schema_migrations WHERE component = ${component} AND version = ${version})
        AND r.tenant = ${tenant}
        AND NOT EXISTS (SELECT 1 FROM position p WHERE (r.tenant, r.id) <= (p.tenant, p.id))
        AND ((SELECT count(*) FROM missed) > ${SEARCHED_IDS_AT_MOST} OR r.response ~ ANY (SELECT pattern FROM patterns))
    )
    SELECT item_id, response_id FROM indexed
    UNION ALL
    SELECT u.item_id, r.id FROM unreached r, unnest(r.item_ids) AS u(item_id)
    WHERE u.item_id IN (SELECT item_id FROM missed)`;
}

/** What a regular expression reads as other than itself, and each of them written as itself. */
const REGEX_SPECIALS = String.raw`[\\^$.*+?()[\]{}|]`;
const ESCAPED = String.raw`\\\&`;

/**
 * The missed ids a lookup searches the unreached rows' text for; past them it parses every row.
 * On 5,000 responses of 8 KB: 0.12 s to search for one id, 0.44 s for 100, 3.6 s for 1,000, where
 * parsing them all took 0.45 s.
 */
const SEARCHED_IDS_AT_MOST = 100;

/**
 * The characters of missed ids one pattern holds (about 360 of Codex's, 52 characters quoted and
 * escaped): PostgreSQL refuses one of some 150,000 as too complex, a single id of 50,000 too.
 */
const PATTERN_CHARS = 20_000;

/**
 * `find` called once per tenant for the ids asked of it in one turn of the event loop (the calls a
 * `Promise.all` makes), each caller given its own id's answer (null: none).
 */
function lookupsByTurn(
  find: (tenant: string, itemIds: readonly string[]) => Promise<ReadonlyMap<string, string>>,
): (tenant: string, itemId: string) => Promise<string | null> {
  let asked: Map<string, Map<string, PromiseWithResolvers<string | null>>> | undefined;
  const answer = (turn: NonNullable<typeof asked>) => {
    for (const [tenant, waiting] of turn)
      find(tenant, [...waiting.keys()]).then(
        (found) => {
          for (const [id, one] of waiting) one.resolve(found.get(id) ?? null);
        },
        (error: unknown) => {
          for (const one of waiting.values()) one.reject(error);
        },
      );
  };
  return (tenant, itemId) => {
    if (!asked) {
      const turn = new Map<string, Map<string, PromiseWithResolvers<string | null>>>();
      asked = turn;
      queueMicrotask(() => {
        asked = undefined;
        answer(turn);
      });
    }
    const waiting = asked.get(tenant) ?? new Map<string, PromiseWithResolvers<string | null>>();
    asked.set(tenant, waiting);
    const one = waiting.get(itemId) ?? Promise.withResolvers<string | null>();
    waiting.set(itemId, one);
    return one.promise;
  };
}
