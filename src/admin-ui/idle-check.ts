import { currentSession, type SessionInfo } from "./api.ts";

/** Past the gateway's end by this much when asking: its clock counts in whole seconds. */
const PAST_THE_END_MS = 2_000;
/** When the gateway could not be asked: again after this. */
const RETRY_MS = 60_000;

/**
 * How long to wait before asking: `inMs`, the end the gateway said, and a little; none when it said
 * no number (a gateway's NaN comes as JSON null), which would otherwise ask every 2 s for good.
 */
export const checkDelay = (inMs: unknown): number | undefined =>
  typeof inMs === "number" && Number.isFinite(inMs) ? inMs + PAST_THE_END_MS : undefined;

/**
 * Asks the gateway whether the session is still open once its end (`endsIn` after `info` was read:
 * the sooner of its idle end and its expiry, `session_ttl`) has passed, and again at each later end
 * it names (use in another tab moves the idle end on). A page that polls nothing (the Requests page,
 * live mode off) would otherwise stay on an unattended screen, its session ended unseen. The
 * question is no use: it sends no `x-user-activity`. `ended` is told when the session has ended
 * (`idle`: for inactivity). Returns what stops it.
 */
export function checkWhenIdle(info: SessionInfo, ended: (idle: boolean) => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const arm = (inMs: number | undefined) => {
    const delay = checkDelay(inMs);
    if (!stopped && delay !== undefined) timer = setTimeout(check, delay);
  };
  const check = () =>
    currentSession().then(
      (now) => {
        if (stopped) return;
        if (now.signedIn) arm(now.endsIn);
        else ended(now.ended === "idle");
      },
      () => arm(RETRY_MS),
    );
  arm(info.endsIn);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
