const ESC = "\u001b";
// A control sequence (`ESC [ ? params final`), an OSC string (ended by BEL or ST), or any other
// two-character escape.
const SEQUENCE = new RegExp(
  `^${ESC}(?:\\[(\\??)([\\d;]*)([@-~])|\\][^\\u0007]*(?:\\u0007|${ESC}\\\\)|.)`,
  "u",
);

/**
 * The part of a terminal ink relies on, for tests that need what a user would *see* rather
 * than what was written: a fixed grid, auto-wrap at the right margin, scrolling at the
 * bottom, the cursor moves and erases ink emits, and a newline that returns the carriage
 * (the tty's ONLCR). Resizing behaves like tmux's alternate screen: no reflow; lines are
 * cut at the new width, and lost rows come from the blank ones below the cursor first,
 * then from the top.
 */
export class VtScreen {
  private grid: string[][];
  private x = 0;
  private y = 0;
  /** A glyph landed in the last column: the next one starts a new line (DEC auto-wrap). */
  private pendingWrap = false;

  constructor(
    private columns: number,
    private rows: number,
  ) {
    this.grid = Array.from({ length: rows }, () => this.blankLine());
  }

  get width(): number {
    return this.columns;
  }

  get height(): number {
    return this.rows;
  }

  write(data: string): void {
    let rest = data;
    while (rest.length > 0) {
      if (rest.startsWith(ESC)) {
        const match = SEQUENCE.exec(rest);
        if (match === null) return;
        if (match[3] !== undefined) this.control(match[1] === "?", match[2] ?? "", match[3]);
        rest = rest.slice(match[0].length);
        continue;
      }
      const char = String.fromCodePoint(rest.codePointAt(0) ?? 0);
      rest = rest.slice(char.length);
      if (char === "\n") this.newline();
      else if (char === "\r") this.moveTo(0, this.y);
      else if (char >= " ") this.print(char);
    }
  }

  resize(width: number, height: number): void {
    this.grid = this.grid.map((line) =>
      line.slice(0, width).concat(new Array<string>(Math.max(0, width - line.length)).fill(" ")),
    );
    while (this.grid.length > height && this.grid.length - 1 > this.y && this.isBlank(this.grid.length - 1))
      this.grid.pop();
    while (this.grid.length > height) {
      this.grid.shift();
      this.y--;
    }
    this.columns = width;
    this.rows = height;
    while (this.grid.length < height) this.grid.push(this.blankLine());
    this.moveTo(Math.min(this.x, width - 1), Math.max(0, this.y));
  }

  /** The screen as text, like `tmux capture-pane -p`: trailing blanks and blank last lines dropped. */
  text(): string {
    return this.grid
      .map((line) => line.join("").trimEnd())
      .join("\n")
      .trimEnd();
  }

  private control(isPrivate: boolean, params: string, final: string): void {
    if (isPrivate) {
      // ?1049h enters the alternate screen, which starts empty; other modes don't draw.
      if (params === "1049" && final === "h") this.erase(0, 0);
      return;
    }
    const [first = 0, second = 0] = params.split(";").map(Number);
    const n = Math.max(1, first);
    const moves: Record<string, [number, number]> = {
      A: [this.x, this.y - n],
      B: [this.x, this.y + n],
      C: [this.x + n, this.y],
      D: [this.x - n, this.y],
      E: [0, this.y + n],
      F: [0, this.y - n],
      G: [n - 1, this.y],
      H: [Math.max(1, second) - 1, n - 1],
    };
    const move = moves[final];
    if (move) this.moveTo(...move);
    else if (final === "J") {
      if (first === 2) this.erase(0, 0);
      else this.erase(this.x, this.y);
    } else if (final === "K") {
      // 0: cursor to end of line, 1: start of line to cursor, 2: the whole line.
      const [from, to] = first === 1 ? [0, this.x + 1] : [first === 2 ? 0 : this.x, this.columns];
      this.grid[this.y]?.fill(" ", from, to);
    }
  }

  private print(char: string): void {
    if (this.pendingWrap) this.newline();
    const line = this.grid[this.y];
    if (line) line[this.x] = char;
    if (this.x === this.columns - 1) this.pendingWrap = true;
    else this.x++;
  }

  private newline(): void {
    if (this.y === this.rows - 1) {
      this.grid.shift();
      this.grid.push(this.blankLine());
      this.moveTo(0, this.y);
    } else this.moveTo(0, this.y + 1);
  }

  /** Erases from (x, y) to the end of the screen. */
  private erase(x: number, y: number): void {
    this.grid[y]?.fill(" ", x);
    for (let row = y + 1; row < this.rows; row++) this.grid[row] = this.blankLine();
  }

  private moveTo(x: number, y: number): void {
    this.x = Math.min(Math.max(0, x), this.columns - 1);
    this.y = Math.min(Math.max(0, y), this.rows - 1);
    this.pendingWrap = false;
  }

  private isBlank(row: number): boolean {
    return this.grid[row]?.every((cell) => cell === " ") ?? true;
  }

  private blankLine(): string[] {
    return new Array<string>(this.columns).fill(" ");
  }
}
