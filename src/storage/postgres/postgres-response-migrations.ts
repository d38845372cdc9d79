import type { PostgresMigration } from "./postgres-migrate.ts";

// Append new steps; never edit an applied one. Times are epoch milliseconds (BIGINT), as everywhere
// in mindgw's stores.

export const responseMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE stored_responses (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        response TEXT NOT NULL,
        items TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX stored_responses_created ON stored_responses (created_at);
    `,
  },
  {
    // Who holds a natively answered response (a provider, or `worker:<name>`): a chain stays
    // there and reads reach it, from whichever node the next request lands on.
    version: 2,
    sql: "ALTER TABLE stored_responses ADD COLUMN holder TEXT;",
  },
  {
    // The response a row continues: a row holds its own turn only, and a chain is read by
    // following these back. Rows stored before have none, and each holds its whole conversation.
    version: 3,
    sql: "ALTER TABLE stored_responses ADD COLUMN previous_id TEXT;",
  },
  {
    // Which response holds an output item (`ResponseStore.responseOfItem`): an `item_reference`
    // names an item alone. Kept by triggers, so every writer (a previous release's node during a
    // rolling upgrade included) keeps it; a row replaced keeps its old items' entries, which a
    // reader checks against the response itself. JSON, not JSONB (since version 5 read by a
    // function that never fails: both refuse a \u0000 and a lone surrogate). An UPDATE indexes
    // the row again only when its response changes. Filled from the rows stored before after it, in batches (postgres-item-backfill.ts),
    // not here: CREATE TRIGGER locks stored_responses against writes (SHARE ROW EXCLUSIVE) until
    // this transaction commits, and every node's Responses writes would wait for a whole table's
    // parse.
    version: 4,
    sql: `
      CREATE TABLE stored_response_items (
        tenant TEXT NOT NULL,
        item_id TEXT NOT NULL,
        response_id TEXT NOT NULL,
        PRIMARY KEY (tenant, item_id)
      );
      CREATE INDEX stored_response_items_response ON stored_response_items (tenant, response_id);
      CREATE FUNCTION stored_response_items_add() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO stored_response_items (tenant, item_id, response_id)
        SELECT DISTINCT NEW.tenant, item ->> 'id', NEW.id
        FROM json_array_elements(
          CASE WHEN json_typeof(NEW.response::json -> 'output') = 'array'
            THEN NEW.response::json -> 'output' ELSE '[]'::json END
        ) AS item
        WHERE json_typeof(item -> 'id') = 'string'
        ON CONFLICT (tenant, item_id) DO UPDATE SET response_id = excluded.response_id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER stored_response_items_add AFTER INSERT OR UPDATE OF response ON stored_responses
        FOR EACH ROW EXECUTE FUNCTION stored_response_items_add();
      CREATE FUNCTION stored_response_items_drop() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM stored_response_items WHERE tenant = OLD.tenant AND response_id = OLD.id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER stored_response_items_drop AFTER DELETE ON stored_responses
        FOR EACH ROW EXECUTE FUNCTION stored_response_items_drop();
    `,
  },
  {
    // The item index reads a response by stored_response_item_ids, which never fails: the JSON
    // reader refuses the whole text, whichever field holds it, for a \u0000 or a lone surrogate
    // (\ud83d: an answer cut inside an emoji), which failed the save of such a response (and its
    // conversation) and the item backfill, every start. Such a response is read again with those
    // escapes as U+FFFD (its text holds them, not its items' ids), and one still unreadable names
    // no item. Replacing the trigger's function serves a previous release's node's writes too.
    version: 5,
    sql: `
      CREATE FUNCTION response_output_ids(response json) RETURNS TEXT[]
        LANGUAGE sql IMMUTABLE AS $$
        SELECT coalesce(array_agg(DISTINCT item ->> 'id'), '{}')
        FROM json_array_elements(
          CASE WHEN json_typeof(response -> 'output') = 'array' THEN response -> 'output' ELSE '[]'::json END
        ) AS item
        WHERE json_typeof(item -> 'id') = 'string'
      $$;
      CREATE FUNCTION stored_response_item_ids(response TEXT) RETURNS TEXT[]
        LANGUAGE plpgsql IMMUTABLE AS $$
      BEGIN
        RETURN response_output_ids(response::json);
      EXCEPTION WHEN others THEN
        BEGIN
          RETURN response_output_ids(
            regexp_replace(response, '\\\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})', '\\\\ufffd', 'g')::json
          );
        EXCEPTION WHEN others THEN
          RETURN '{}';
        END;
      END $$;
      CREATE OR REPLACE FUNCTION stored_response_items_add() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO stored_response_items (tenant, item_id, response_id)
        SELECT NEW.tenant, item_id, NEW.id FROM unnest(stored_response_item_ids(NEW.response)) AS item_id
        ON CONFLICT (tenant, item_id) DO UPDATE SET response_id = excluded.response_id;
        RETURN NULL;
      END $$;
    `,
  },
  {
    // The containers the upstream's native answers to each scope ran calls in, seen last when
    // (ResponseStore.noteContainers): what vouches for a container a `store: false` caller names.
    version: 6,
    sql: `
      CREATE TABLE scope_containers (
        tenant TEXT NOT NULL,
        container_id TEXT NOT NULL,
        seen_at BIGINT NOT NULL,
        PRIMARY KEY (tenant, container_id)
      );
      CREATE INDEX scope_containers_seen ON scope_containers (seen_at);
    `,
  },
];
