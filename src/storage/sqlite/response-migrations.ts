import type { Migration } from "./migrate.ts";

/** Schema of the `responses` component. Append new steps; never edit an applied one. */
export const responseMigrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE stored_responses (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        response TEXT NOT NULL,
        items TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX stored_responses_created ON stored_responses (created_at);
    `,
  },
  {
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
    // names an item alone. Kept by triggers, so every writer (a previous release's node on the
    // same file included) keeps it; a row replaced keeps its old items' entries, which a reader
    // checks against the response itself. Filled from the rows stored before after it, in batches
    // (response-item-backfill.ts), not here: this step holds the write lock.
    version: 4,
    sql: `
      CREATE TABLE stored_response_items (
        tenant TEXT NOT NULL,
        item_id TEXT NOT NULL,
        response_id TEXT NOT NULL,
        PRIMARY KEY (tenant, item_id)
      ) WITHOUT ROWID;
      CREATE INDEX stored_response_items_response ON stored_response_items (tenant, response_id);
      CREATE TRIGGER stored_response_items_add AFTER INSERT ON stored_responses
      WHEN json_valid(new.response)
      BEGIN
        INSERT OR REPLACE INTO stored_response_items (tenant, item_id, response_id)
        SELECT new.tenant, json_extract(value, '$.id'), new.id FROM json_each(new.response, '$.output')
        WHERE CASE WHEN type = 'object' THEN json_type(value, '$.id') END = 'text';
      END;
      CREATE TRIGGER stored_response_items_drop AFTER DELETE ON stored_responses
      BEGIN
        DELETE FROM stored_response_items WHERE tenant = old.tenant AND response_id = old.id;
      END;
    `,
  },
  {
    // The containers the upstream's native answers to each scope ran calls in, seen last when
    // (ResponseStore.noteContainers): what vouches for a container a `store: false` caller names.
    version: 5,
    sql: `
      CREATE TABLE scope_containers (
        tenant TEXT NOT NULL,
        container_id TEXT NOT NULL,
        seen_at INTEGER NOT NULL,
        PRIMARY KEY (tenant, container_id)
      );
      CREATE INDEX scope_containers_seen ON scope_containers (seen_at);
    `,
  },
];
