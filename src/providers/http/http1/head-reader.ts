import { hasBareLf } from "./head-text.ts";
import { bareBlankLine, MalformedResponseError, parseHead, type ResponseHead } from "./response-head.ts";

/** The most a response head (status line and headers) may be; `fetch` takes large ones too. */
export const MAX_HEAD_BYTES = 1024 * 1024;

const HEAD_END = Buffer.from("\r\n\r\n");
const NO_BYTES = Buffer.alloc(0);

/**
 * Finds a response's head in a connection's reads, across as many as it spans: the final head
 * (interim 1xx heads skipped), parsed, and where its body begins. One a connection, reset when an
 * exchange ends.
 */
export class HeadReader {
  /** The reads so far of a head not yet whole. */
  private pending: Buffer | null = null;
  /** The read the last head found ends in (joined with the reads before it where it spanned them). */
  read: Buffer = NO_BYTES;
  /** Where the body begins in `read`. */
  bodyAt = 0;

  /**
   * The final head once `data` completes it (`read` and `bodyAt` then say where its body begins),
   * else null: more is to come. Throws a `MalformedResponseError` for a head past the bound, a
   * 101, or one that does not parse. `listed`: with its list of headers (for a `Response`).
   */
  take(data: Buffer, listed: boolean): ResponseHead | null {
    let buffer = data;
    let from = 0;
    if (this.pending) {
      from = Math.max(0, this.pending.byteLength - 3);
      buffer = Buffer.concat([this.pending, data]);
      this.pending = null;
    }
    while (true) {
      let end = buffer.indexOf(HEAD_END, from);
      let bodyAt = end + 4;
      // Lines may end in a bare LF (`fetch` takes such heads): then the blank line that ends the
      // head is "\n\n" or "\n\r\n", before any CRLF CRLF, which may be absent or in the body.
      // A head whose lines all end in CRLF (the common case) is told by one pass over its bytes.
      const bare =
        end < 0
          ? bareBlankLine(buffer, Math.max(0, from - 1))
          : hasBareLf(buffer, 0, end)
            ? bareBlankLine(buffer, 0, end)
            : undefined;
      if (bare) [end, bodyAt] = bare;
      if (end < 0) {
        if (buffer.byteLength > MAX_HEAD_BYTES)
          throw new MalformedResponseError(`response head larger than ${MAX_HEAD_BYTES} bytes`);
        this.pending = buffer;
        return null;
      }
      const head = parseHead(buffer, end, listed);
      if (head.status >= 200) {
        this.read = buffer;
        this.bodyAt = bodyAt;
        return head;
      }
      // 101 would switch protocols, which we never ask for; other 1xx are interim: skipped.
      if (head.status === 101) throw new MalformedResponseError("unexpected 101 Switching Protocols");
      buffer = buffer.subarray(bodyAt);
      from = 0;
    }
  }

  reset(): void {
    this.pending = null;
    this.read = NO_BYTES;
  }
}
