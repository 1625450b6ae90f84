/** Entry of the `cordon` command: dispatches to one module per sub-command and returns the exit code. */
type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  analyze: async () => (await import('./analyze')).analyzeCommand,
};

const usage = `usage: cordon <command> [options]

commands:
  analyze <old.tgz|-|pkg@ver> <new.tgz|pkg@ver>   report what the new version can do that the old one could not
`;

/** Runs the CLI with `argv` (without node and script) and resolves the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`cordon: unknown command "${name}". Run "cordon --help" for the list of commands.\n`);
    return 2;
  }
  return (await load())(rest);
}
