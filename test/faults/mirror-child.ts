/**
 * A mirror in a child process, for kill -9 tests: `node mirror-child.js UPSTREAM DATA_DIR NOW [ENV_JSON]`.
 * Reports `{ url }` over IPC; answers "sweep" with "swept" after a sweeper pass. With
 * CORDON_TEST_KILL_ON_AUDIT=<cause> it kills itself with SIGKILL right after writing an audit entry with
 * that cause, inside the transaction that writes it: the moment a crash does the most harm.
 */
import { ManualClock } from '../../server/clock';
import { loadConfig } from '../../server/config';
import { silentLogger } from '../../server/logger';
import { startMirror } from '../../server/mirror';
import { AuditLog, type AuditInput } from '../../storage';

const killOn = process.env.CORDON_TEST_KILL_ON_AUDIT;
if (killOn) {
  const append = AuditLog.prototype.append;
  AuditLog.prototype.append = function (this: AuditLog, input: AuditInput) {
    const entry = append.call(this, input);
    if (input.cause === killOn) process.kill(process.pid, 'SIGKILL');
    return entry;
  } as typeof append;
}

async function main(): Promise<void> {
  const [upstream, dataDir, now, envJson] = process.argv.slice(2) as [string, string, string, string | undefined];
  const env = {
    CORDON_UPSTREAM: upstream,
    CORDON_DATA_DIR: dataDir,
    CORDON_PORT: '0',
    CORDON_COOLDOWN: '72h',
    CORDON_UPSTREAM_MAXAGE: '0',
    CORDON_LOG_LEVEL: 'fatal',
    CORDON_CONFIG: '',
    ...(envJson ? (JSON.parse(envJson) as Record<string, string>) : {}),
  };
  const mirror = await startMirror(loadConfig(env, dataDir), { clock: new ManualClock(Number(now)), logger: silentLogger });
  process.on('message', (message) => {
    if (message === 'sweep') void mirror.sweeper.runNow().then(() => process.send!('swept'));
  });
  process.on('disconnect', () => void mirror.close().finally(() => process.exit(0)));
  process.send!({ url: mirror.url });
}

main().catch((err: unknown) => {
  process.stderr.write(`mirror child failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
