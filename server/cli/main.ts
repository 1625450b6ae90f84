/** Entry of the `cordon` command: dispatches to one module per sub-command and returns the exit code. */
type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  analyze: async () => (await import('./analyze')).analyzeCommand,
  keygen: async () => (await import('./keygen')).keygenCommand,
  queue: async () => (await import('./queue')).queueCommand,
  show: async () => (await import('./show')).showCommand,
  approve: async () => (await import('./approve')).approveCommand,
  reject: async () => (await import('./reject')).rejectCommand,
  audit: async () => (await import('./audit')).auditCommand,
  store: async () => (await import('./store')).storeCommand,
  backup: async () => (await import('./backup')).backupCommand,
  restore: async () => (await import('./backup')).restoreCommand,
  why: async () => (await import('./why')).whyCommand,
  policy: async () => (await import('./policy')).policyCommand,
  passkey: async () => (await import('./passkey')).passkeyCommand,
};

const usage = `usage: cordon <command> [options]

commands:
  analyze <old.tgz|-|pkg@ver> <new.tgz|pkg@ver>   report what the new version can do that the old one could not
  keygen [--file PATH] [--name NAME]               a new Ed25519 approver key and the line for cordon.yaml
  queue                                            versions waiting: state, time left, worst finding, approvals
  show <pkg@ver> [--diff]                          findings and the file diff against the previous version
  approve <pkg@ver> [--reason TEXT] [--key FILE]   sign and send an approval
  reject <pkg@ver> --reason TEXT [--key FILE]      sign and send a rejection
  audit verify | audit export DIR                  check the hash-chained audit log and every signature; export for ssh-keygen
  why <pkg@ver>                                    why the mirror serves a version or not: state, reason, release time, whom to ask
  policy export --format npm|pnpm|yarn|bun|renovate|dependabot
                                                   settings that make a client's or bot's release-age gate follow the mirror
  backup FILE                                      a consistent copy of the store while the mirror serves
  restore FILE                                     put a backup back (mirror stopped), checked against the data folder
  store init --adopt-existing [--previous-store F] re-baseline a data folder whose store was lost (mirror stopped)
  audit verify | audit export DIR                  check the hash-chained audit log and every signature; export for ssh-keygen and openssl
  passkey add | list | remove ID [--key FILE]      enroll a passkey (a one-time link signed with your SSH key), list, remove

The mirror commands talk to --registry URL, or CORDON_URL, or the mirror that cordon.yaml and
CORDON_HOST/CORDON_PORT in this folder describe, or http://127.0.0.1:4873.
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
