import { type AdminCall, adminResponse, brokenAnswer } from "./admin-fetch.ts";

/**
 * How long an export's stream may go without a byte before the command gives up on it (exit 1).
 * Far past the 30 s of every other answer: a narrow filter over a large log may rightly go quiet
 * while the gateway reads page after page of rows it does not send. But past the longest a
 * gateway holds an export's connection quiet (255 s, Bun's most, whatever `server.idle_timeout`:
 * http/admin/admin-routes.ts): a stream quiet longer is held open by something else (a proxy, a
 * connection lost without a word), and would have held the command for ever.
 */
export const STREAM_SILENCE_MS = 300_000;

/**
 * The export's bound: `STREAM_SILENCE_MS`, or `MINDGW_EXPORT_SILENCE_MS` (ms, a positive integer)
 * when set — for tests, which cannot wait five minutes to see a stalled export end; not a setting
 * for users.
 */
export function exportSilenceMs(env: Record<string, string | undefined> = process.env): number {
  const set = Number(env.MINDGW_EXPORT_SILENCE_MS);
  return Number.isSafeInteger(set) && set > 0 ? set : STREAM_SILENCE_MS;
}

/**
 * One admin API call answered 2xx with a stream (an audit export), its body's parts as they come,
 * each read within `exportSilenceMs()`: the bound is the gateway's silence alone, never the time
 * the caller takes with a part (a pipe that is slow to drain).
 */
export async function* adminStream(
  gateway: string,
  adminKey: string,
  call: AdminCall,
): AsyncGenerator<Uint8Array> {
  const response = await adminResponse(gateway, adminKey, call);
  if (response.body === null) return;
  const reader = response.body.getReader();
  const silenceMs = exportSilenceMs();
  // One bound for the whole stream, restarted at each read and heeded only while one is under way:
  // run out while the caller writes a part (a pipe slow to drain), it is no gateway's silence, and
  // the next read restarts it (a timer refreshed after it ran is armed again).
  let reading = false;
  let silent = false;
  const bound = setTimeout(() => {
    if (!reading) return;
    silent = true;
    // Cancelled at the bound, the read ends as if the stream had.
    void reader.cancel().catch(() => {});
  }, silenceMs);
  try {
    for (;;) {
      bound.refresh();
      reading = true;
      let part: Awaited<ReturnType<typeof reader.read>>;
      try {
        part = await reader.read();
      } catch (error) {
        throw brokenAnswer(gateway, silent ? silenceMs : undefined, error);
      } finally {
        reading = false;
      }
      if (silent) throw brokenAnswer(gateway, silenceMs, undefined);
      if (part.done) return;
      yield part.value;
    }
  } finally {
    clearTimeout(bound);
    // Left early (the caller's write failed, or the bound): the rest is not read.
    await reader.cancel().catch(() => {});
  }
}
