/** Builds and starts the notifier of a runtime, counting outcomes in its metrics. */
import type { CordonRuntime } from '../runtime';
import { Notifier } from './notifier';

/** Starts delivering `runtime`'s notification outbox; stop it before closing the runtime. */
export function startNotifier(runtime: CordonRuntime): Notifier {
  const { config, clock, logger, ops } = runtime;
  const notifier = new Notifier({
    config,
    outbox: ops.outbox,
    clock,
    logger,
    onOutcome: (endpoint, event, outcome) => ops.metrics.notifications.inc({ endpoint, event, outcome }),
  });
  notifier.start();
  return notifier;
}
