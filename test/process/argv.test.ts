import { splitCommand } from '../../adapters/process';

test.each([
  ['python3 my_adapter.py', ['python3', 'my_adapter.py']],
  ['  python3   -u\tadapter.py  ', ['python3', '-u', 'adapter.py']],
  [`python3 "my adapter.py" --name 'x y'`, ['python3', 'my adapter.py', '--name', 'x y']],
  [`run "say \\"hi\\" \\$HOME \\n"`, ['run', 'say "hi" $HOME \\n']],
  [`run 'it''s' a\\ b`, ['run', 'its', 'a b']],
  [`run '' ""`, ['run', '', '']],
  ['node x.js | grep $HOME *', ['node', 'x.js', '|', 'grep', '$HOME', '*']],
])('%s', (command, argv) => {
  expect(splitCommand(command)).toEqual(argv);
});

test.each([
  [`python3 'open`, /unterminated single quote/],
  [`python3 "open`, /unterminated double quote/],
  ['python3 \\', /trailing backslash/],
  ['   ', /no program named/],
])('%s is refused', (command, why) => {
  expect(() => splitCommand(command)).toThrow(why);
});
