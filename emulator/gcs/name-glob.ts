import { gcsErrors } from './errors';

// objects.list `matchGlob`, with the glob syntax Cloud Storage documents for it ("List objects:
// filter by object name glob"):
//   *        zero or more characters, not `/`
//   **       zero or more characters, `/` included; `a/**/b` also matches `a/b`
//   ?        one character, not `/`
//   [abc] [a-z] [!abc]   one character of (or, with `!`, not of) a set
//   {x,y}    any of the comma-separated sub-patterns
//   \c       the character c itself
// Hand-written rather than picomatch: picomatch (4.0.3) reads `[!a]` as "a or !" and lets `*`
// match a trailing `/` unless strictSlashes is set, expands `{1..3}` ranges and treats a leading
// `!` or `+(…)` specially — none of which Cloud Storage does.

function invalid(glob: string, why: string): Error {
  return gcsErrors.invalid(`Invalid matchGlob ${JSON.stringify(glob)}: ${why}.`);
}

const escapeRegExp = (c: string) => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

export function globToRegExp(glob: string): RegExp {
  let i = 0;
  const sequence = (stops: string): string => {
    let out = '';
    while (i < glob.length && !stops.includes(glob[i]!)) {
      const c = glob[i]!;
      if (c === '\\') {
        if (i + 1 >= glob.length) throw invalid(glob, 'it ends with a lone backslash');
        out += escapeRegExp(glob[i + 1]!);
        i += 2;
      } else if (c === '*' && glob[i + 1] === '*') {
        const atSegmentStart = i === 0 || glob[i - 1] === '/';
        i += 2;
        while (glob[i] === '*') i++;
        if (atSegmentStart && glob[i] === '/') {
          i++;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else if (c === '*') {
        out += '[^/]*';
        i++;
      } else if (c === '?') {
        out += '[^/]';
        i++;
      } else if (c === '[') {
        out += characterClass();
      } else if (c === '{') {
        i++;
        const alternatives: string[] = [sequence(',}')];
        while (glob[i] === ',') {
          i++;
          alternatives.push(sequence(',}'));
        }
        if (glob[i] !== '}') throw invalid(glob, 'a "{" is not closed');
        i++;
        out += `(?:${alternatives.join('|')})`;
      } else {
        out += escapeRegExp(c);
        i++;
      }
    }
    return out;
  };
  const characterClass = (): string => {
    i++; // [
    let negate = false;
    if (glob[i] === '!') {
      negate = true;
      i++;
    }
    let body = '';
    let first = true;
    while (i < glob.length && (glob[i] !== ']' || first)) {
      const c = glob[i]!;
      if (c === '\\' && i + 1 < glob.length) {
        body += escapeRegExp(glob[i + 1]!);
        i += 2;
      } else {
        // A range keeps its hyphen; every other character stands for itself.
        body += c === '-' && !first && glob[i + 1] !== ']' ? '-' : escapeRegExp(c);
        i++;
      }
      first = false;
    }
    if (glob[i] !== ']') throw invalid(glob, 'a "[" is not closed');
    i++;
    return negate ? `[^/${body}]` : `[${body}]`;
  };
  const source = sequence('');
  try {
    return new RegExp(`^${source}$`, 's');
  } catch {
    throw invalid(glob, 'it does not form a valid pattern');
  }
}
