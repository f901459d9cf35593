/**
 * Splits a command line into argv the way a POSIX shell would for plain words, without
 * running a shell: whitespace separates words; '...' keeps everything literally; "..."
 * keeps everything but lets \" \\ \$ \` escape; outside quotes a backslash escapes the next
 * character. No variables, globs, pipes or redirections: they stay literal characters.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = '';
  // A word exists once any character or a pair of quotes was seen, so '' yields an empty argument.
  let inWord = false;
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`cannot split adapter command ${JSON.stringify(command)}: ${why}`);
  };
  while (i < command.length) {
    const c = command[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) fail('unterminated single quote');
      word += command.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= command.length) fail('unterminated double quote');
        const d = command[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) {
          word += command[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= command.length) fail('trailing backslash');
      word += command[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) fail('no program named');
  return words;
}
