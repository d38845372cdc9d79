import { type FakeRequest, RecordedRequest } from "./fake-request.ts";

/** Every request received, in order, with bounded waits on what happens to them. */
export class RequestLog {
  readonly list: RecordedRequest[] = [];
  private readonly waiters = new Set<() => void>();

  private count = 0;

  /** Records a request; with `keep` false it is tracked for its own answer but not listed. */
  add(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: unknown,
    keep = true,
  ): RecordedRequest {
    this.count += 1;
    const rec = new RecordedRequest(this.count, method, path, headers, body, () => this.changed());
    if (!keep) return rec;
    this.list.push(rec);
    this.changed();
    return rec;
  }

  clear(): void {
    this.list.length = 0;
    this.count = 0;
  }

  /** Resolves with the first request matching `test`, now or later; rejects after `timeoutMs`. */
  waitFor(test: (r: FakeRequest) => boolean, timeoutMs: number, what: string): Promise<FakeRequest> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.list.find(test);
        if (!found) return;
        done();
        resolve(found);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`fake upstream: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
