import { EventEmitter } from "node:events";
import { render } from "ink";
import type { ReactElement } from "react";

/** A stdout with a size that can change, recording frames (ink's debug mode writes each whole). */
export class FakeStdout extends EventEmitter {
  frames: string[] = [];
  isTTY = false;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string, ...rest: unknown[]): boolean => {
    this.frames.push(frame);
    // ink waits on the write callback (its flush barrier) before `waitUntilExit` resolves.
    const callback = rest.find((arg) => typeof arg === "function");
    if (callback) queueMicrotask(callback as () => void);
    return true;
  };
}

/** A stdin that feeds keys to ink the way a raw-mode terminal would. */
export class FakeStdin extends EventEmitter {
  isTTY = true;
  private pending: string | null = null;
  write(data: string): void {
    this.pending = data;
    this.emit("readable");
    this.emit("data", data);
  }
  read = (): string | null => {
    const data = this.pending;
    this.pending = null;
    return data;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

/** Renders `tree` on a fake terminal of the given size; `resize` fires ink's resize path. */
export function renderOnTerminal(tree: ReactElement, columns = 100, rows = 24) {
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {
    stdin,
    frames: stdout.frames,
    lastFrame: () => stdout.frames.at(-1) ?? "",
    waitUntilExit: () => instance.waitUntilExit(),
    resize(newColumns: number, newRows: number) {
      stdout.columns = newColumns;
      stdout.rows = newRows;
      stdout.emit("resize");
    },
    unmount: () => instance.unmount(),
  };
}
