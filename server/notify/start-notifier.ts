/** Builds and starts the notifier of a runtime, counting outcomes in its metrics. */
import type { CordonRuntime } from '../assemble';
import { Notifier } from './notifier';

/** What the notifier is built from. */
export type NotifierRuntime = Pick<CordonRuntime, 'config' | 'clock' | 'logger' | 'ops'> & {
  readonly store: Pick<CordonRuntime['store'], 'notifications'>;
};

/** Starts delivering the runtime's notification outbox; stop it before closing the runtime. */
export function startNotifier(runtime: NotifierRuntime): Notifier {
  const { config, clock, logger, ops, store } = runtime;
  const notifier = new Notifier({
    config,
    outbox: store.notifications,
    clock,
    logger,
    onOutcome: (endpoint, event, outcome) => ops.metrics.notifications.inc({ endpoint, event, outcome }),
  });
  notifier.start();
  return notifier;
}
