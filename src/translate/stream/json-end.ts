/**
 * Watches a JSON value arrive in fragments and says when its outermost object or array has
 * closed: a tool call's arguments are complete then, before the stream says anything else.
 */
export class JsonEnd {
  private depth = 0;
  private opened = false;
  private inString = false;
  private escaped = false;

  get complete(): boolean {
    return this.opened && this.depth === 0;
  }

  feed(fragment: string): void {
    for (const char of fragment) {
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (char === "\\") this.escaped = true;
        else if (char === '"') this.inString = false;
      } else if (char === '"') {
        this.inString = true;
      } else if (char === "{" || char === "[") {
        this.depth++;
        this.opened = true;
      } else if (char === "}" || char === "]") {
        this.depth--;
      }
    }
  }
}
