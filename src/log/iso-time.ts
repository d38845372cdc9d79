/**
 * Epoch milliseconds as ISO text, formatted at most once a millisecond: lines come in bursts, and
 * an access line's time (its request's end) is mostly the millisecond of the line before. One per
 * thread that writes lines (the event loop's logger, an audit thread).
 */
export function isoTime(): (ms: number) => string {
  let lastMs = -1;
  let text = "";
  return (ms) => {
    // `Date` drops a fraction of a millisecond; the cache's key must too.
    const whole = Math.floor(ms);
    if (whole !== lastMs) {
      lastMs = whole;
      text = new Date(whole).toISOString();
    }
    return text;
  };
}
