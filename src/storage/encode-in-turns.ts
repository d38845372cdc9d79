/** Records encoded per turn of the event loop: about 40 µs of `JSON.stringify` (audit records). */
const PER_TURN = 32;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * `JSON.stringify(records)`, the same text, built a slice at a time with a turn of the event loop
 * between slices. An audit batch (a flush of 100 ms at c=1 is ~300 records) took 0.3–0.45 ms
 * to encode in one go, and the request whose upstream answer arrived meanwhile waited for it:
 * at c=1 that was one request in three hundred, and a third of the added p99 (docs/BENCHMARKS.md).
 * Records hold only JSON values (objects), so each slice's text is the batch's between brackets.
 */
export async function encodeInTurns(records: readonly object[], perTurn = PER_TURN): Promise<string> {
  if (records.length <= perTurn) return JSON.stringify(records);
  const slices: string[] = [];
  for (let from = 0; from < records.length; from += perTurn) {
    if (from > 0) await nextTurn();
    slices.push(JSON.stringify(records.slice(from, from + perTurn)).slice(1, -1));
  }
  return `[${slices.join(",")}]`;
}
