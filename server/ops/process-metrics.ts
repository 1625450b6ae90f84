/**
 * The process gauges an operator expects (CPU, memory, heap, event-loop delay, open files), under the
 * names prom-client's default metrics use. Not `collectDefaultMetrics`: its GC tracking alone costs
 * about 7µs on every request of a busy mirror (bench:mirror), and these cost nothing until a scrape.
 */
import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Registers the process metrics in `registry`; the returned function stops the event-loop monitor. */
export function registerProcessMetrics(registry: Registry): () => void {
  const registers = [registry];
  let lastCpu = process.cpuUsage();
  const user = new Counter({ name: 'process_cpu_user_seconds_total', help: 'User CPU time spent in seconds.', registers });
  const system = new Counter({ name: 'process_cpu_system_seconds_total', help: 'System CPU time spent in seconds.', registers });
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers,
    collect() {
      const now = process.cpuUsage();
      const du = (now.user - lastCpu.user) / 1e6;
      const ds = (now.system - lastCpu.system) / 1e6;
      lastCpu = now;
      user.inc(du);
      system.inc(ds);
      this.inc(du + ds);
    },
  });
  new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers }).set(
    Math.round(Date.now() / 1000 - process.uptime()),
  );
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  const heapTotal = new Gauge({ name: 'nodejs_heap_size_total_bytes', help: 'Process heap size from Node.js in bytes.', registers });
  const external = new Gauge({ name: 'nodejs_external_memory_bytes', help: 'Node.js external memory size in bytes.', registers });
  new Gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'Process heap size used from Node.js in bytes.',
    registers,
    collect() {
      const m = process.memoryUsage();
      this.set(m.heapUsed);
      heapTotal.set(m.heapTotal);
      external.set(m.external);
    },
  });
  new Gauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors.',
    registers,
    collect() {
      try {
        this.set(readdirSync('/proc/self/fd').length - 1);
      } catch {
        // not Linux: left out
      }
    },
  });
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const lagMax = new Gauge({
    name: 'nodejs_eventloop_lag_max_seconds',
    help: 'The maximum recorded event loop delay since the last scrape.',
    registers,
  });
  const lagP99 = new Gauge({
    name: 'nodejs_eventloop_lag_p99_seconds',
    help: 'The 99th percentile of the event loop delay since the last scrape.',
    registers,
  });
  new Gauge({
    name: 'nodejs_eventloop_lag_mean_seconds',
    help: 'The mean of the event loop delay since the last scrape (0 before the first sample).',
    registers,
    collect() {
      const seconds = (ns: number): number => (Number.isFinite(ns) ? ns / 1e9 : 0);
      this.set(seconds(delay.mean));
      lagMax.set(seconds(delay.max));
      lagP99.set(seconds(delay.percentile(99)));
      delay.reset();
    },
  });
  return () => delay.disable();
}
