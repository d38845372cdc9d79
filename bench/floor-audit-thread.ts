/** bench/floor-gateway.ts's audit thread: its own SQLite handle, one transaction per batch of rows. */
import { Database } from "bun:sqlite";

declare const self: Worker;

// The first message names the file (the gateway removes it when it stops); each later one is a
// batch of rows, written in one transaction.
let insertAll: ((rows: (string | number)[][]) => void) | undefined;
self.onmessage = (event: MessageEvent<string | (string | number)[][]>) => {
  if (typeof event.data === "string") insertAll = open(event.data);
  else insertAll?.(event.data);
};

function open(path: string): (rows: (string | number)[][]) => void {
  const db = new Database(path);
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  db.run(
    "CREATE TABLE IF NOT EXISTS audit (id TEXT, key TEXT, model TEXT, status INT, tokens_in INT, tokens_out INT, ms REAL, at INT)",
  );
  const insert = db.prepare("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  return db.transaction((rows: (string | number)[][]) => {
    for (const row of rows) insert.run(...row);
  });
}
