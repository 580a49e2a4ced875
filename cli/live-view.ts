// Progress that changes while a command waits (a run's stages, a bulk action's count), on stderr:
// on a TTY the block is redrawn in place; otherwise (a log, CI) each line is printed when it
// changes, so the output is a readable history rather than a stream of escape codes.
import readline from 'node:readline';

export interface LiveView {
  update(lines: readonly string[]): void;
  // Leaves the last block on screen and the cursor below it.
  done(): void;
}

export function createLiveView(stream: NodeJS.WritableStream, isTTY: boolean): LiveView {
  let previous: readonly string[] = [];
  if (isTTY) {
    return {
      update(lines) {
        if (previous.length > 0) {
          readline.moveCursor(stream, 0, -previous.length);
          readline.cursorTo(stream, 0);
          readline.clearScreenDown(stream);
        }
        stream.write(lines.map((l) => `${l}\n`).join(''));
        previous = lines;
      },
      done() {},
    };
  }
  return {
    update(lines) {
      // Lines are matched by position: callers keep one line per thing (the run, each stage).
      const changed = lines.filter((line, i) => previous[i] !== line);
      if (changed.length > 0) stream.write(changed.map((l) => `${l.trim()}\n`).join(''));
      previous = lines;
    },
    done() {},
  };
}
