import type { Category, Severity } from '../types';

interface ModuleClass {
  readonly category: Category;
  readonly rule: string;
  readonly severity: Severity;
  readonly what: string;
}

const NETWORK: ModuleClass = { category: 'network', rule: 'network/new-module', severity: 'medium', what: 'a network module' };
const PROCESS: ModuleClass = {
  category: 'process',
  rule: 'process/new-child-process',
  severity: 'medium',
  what: 'a module that starts processes',
};
const VM: ModuleClass = {
  category: 'dynamic-code',
  rule: 'dynamic-code/vm-module',
  severity: 'low',
  what: 'the vm module (runs code from strings)',
};

const TABLE: Record<string, ModuleClass> = {
  http: NETWORK,
  https: NETWORK,
  net: NETWORK,
  tls: NETWORK,
  dgram: NETWORK,
  dns: NETWORK,
  http2: NETWORK,
  undici: NETWORK,
  axios: NETWORK,
  'node-fetch': NETWORK,
  got: NETWORK,
  request: NETWORK,
  superagent: NETWORK,
  ws: NETWORK,
  'socket.io-client': NETWORK,
  'cross-fetch': NETWORK,
  'isomorphic-fetch': NETWORK,
  needle: NETWORK,
  phin: NETWORK,
  ky: NETWORK,
  'make-fetch-happen': NETWORK,
  'minipass-fetch': NETWORK,
  child_process: PROCESS,
  execa: PROCESS,
  'cross-spawn': PROCESS,
  shelljs: PROCESS,
  'node-pty': PROCESS,
  vm: VM,
};

/** The capability a module specifier brings ("node:https" → network), or null for ordinary modules. */
export function classifyModule(specifier: string): (ModuleClass & { name: string }) | null {
  const bare = specifier.replace(/^node:/, '');
  const name = bare.startsWith('@') ? bare.split('/').slice(0, 2).join('/') : bare.split('/')[0]!;
  const cls = TABLE[name];
  return cls ? { ...cls, name } : null;
}
