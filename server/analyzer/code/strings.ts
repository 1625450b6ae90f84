import type { Severity } from '../types';
import type { SignalSink } from './signal';

/** Hosts where stolen data is commonly dropped or from which payloads are fetched. */
const EXFIL_HOSTS = [
  'pastebin.com',
  'paste.ee',
  'hastebin.com',
  'ghostbin',
  'webhook.site',
  'requestbin',
  'pipedream.net',
  'hookbin.com',
  'discord.com/api/webhooks',
  'discordapp.com/api/webhooks',
  'hooks.slack.com',
  'api.telegram.org',
  'transfer.sh',
  'file.io',
  'anonfiles',
  'ngrok.io',
  'ngrok-free.app',
  'trycloudflare.com',
  'interact.sh',
  'oast.',
  'burpcollaborator',
  'canarytokens',
  'beeceptor.com',
  'serveo.net',
  'localtunnel.me',
  'loca.lt',
  'workers.dev',
  'temp.sh',
  'gofile.io',
];
const TOKEN_NAMES = [
  'NPM_TOKEN',
  'NODE_AUTH_TOKEN',
  'NPM_CONFIG__AUTH',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'GH_PAT',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SESSION_TOKEN',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'AZURE_CLIENT_SECRET',
  'CI_JOB_TOKEN',
  'GITLAB_TOKEN',
  'CIRCLE_TOKEN',
  'ANTHROPIC_API_KEY',
  'OPENAI_API_KEY',
  'SLACK_TOKEN',
  'DOCKER_PASSWORD',
  'VERCEL_TOKEN',
  'NETLIFY_AUTH_TOKEN',
];
const TOKEN_SET = new Set(TOKEN_NAMES);
const TOKEN_RE = new RegExp(`\\b(${TOKEN_NAMES.join('|')})\\b`);
const SENSITIVE_PATHS: Array<[RegExp, string]> = [
  [/(^|[/\\~])\.npmrc\b/, '.npmrc'],
  [/(^|[/\\~])\.ssh([/\\]|$)|\bid_(rsa|ed25519|ecdsa)\b/, '.ssh'],
  [/(^|[/\\~])\.aws([/\\]|$)/, '.aws'],
  [/(^|[/\\~])\.kube([/\\]|$)/, '.kube'],
  [/(^|[/\\~])\.docker[/\\]config\.json/, '.docker/config.json'],
  [/(^|[/\\~])\.git-credentials\b/, '.git-credentials'],
  [/(^|[/\\~])\.config[/\\](gcloud|gh)\b/, '.config/gcloud|gh'],
  [/(^|[/\\~])\.(claude|codex|gemini)([/\\.]|$)|claude_desktop_config\.json|\.config[/\\](claude|github-copilot)\b/, 'AI tool credentials'],
  [/\/proc\/(\d+|self|\*|\$\{?\w*\}?)\/(mem|environ|maps)\b/, '/proc/<pid>/mem|environ'],
  [/(^|[/\\~])\.(bash|zsh)_history\b/, 'shell history'],
];
const COMMAND_RE =
  /^\s*(?:sudo\s+)?(curl|wget|bun|powershell|pwsh|certutil|nc|ncat|bitsadmin|mshta|iex)\b|\b(sh|bash|zsh|cmd(?:\.exe)?)\s+(?:-c|\/c)\b|\bnpm\s+(publish|whoami|token|adduser|login)\b|\|\s*(?:sh|bash)\b|\bchmod\s+\+x\b|\bbun\s+(?:run|x|install)\b|\bInvoke-(?:WebRequest|Expression)\b/i;
const URL_RE = /\b((?:https?|wss?|ftp):\/\/)([^\s'"`<>()/?#\\]+)([^\s'"`<>\\]*)/gi;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?::\d+)?$/;

/** True for a public IPv4 address (not loopback, private, link-local or unspecified). */
function isPublicIp(a: number, b: number): boolean {
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 169 && b === 254) return false;
  return true;
}

function parseIp(host: string): [number, number, number, number] | null {
  const m = IPV4_RE.exec(host);
  if (!m) return null;
  const parts = m.slice(1, 5).map(Number) as [number, number, number, number];
  return parts.every((p) => p <= 255) ? parts : null;
}

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

function printable(s: string): boolean {
  if (s.length < 6) return false;
  let ok = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 32 && c < 127) || c === 9 || c === 10 || c === 13) ok++;
  }
  return ok / s.length > 0.95;
}

/** Decodes a literal that looks like base64 or hex into readable text, or null. */
export function tryDecodeLiteral(s: string): string | null {
  if (s.length < 16 || s.length > 200_000) return null;
  let decoded: string | null = null;
  if (/^[0-9a-fA-F]+$/.test(s) && s.length % 2 === 0) decoded = Buffer.from(s, 'hex').toString('latin1');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s) && /[A-Z]/.test(s) && /[a-z]/.test(s)) decoded = Buffer.from(s, 'base64').toString('latin1');
  return decoded !== null && printable(decoded) ? decoded : null;
}

/** Where a string was found and how to phrase findings about it. */
export interface StringSite {
  readonly line: number;
  readonly column: number;
  readonly endLine?: number;
  /** The string was obtained by statically decoding base64/hex/char codes or folding concatenation. */
  readonly decoded: boolean;
}

function bump(s: Severity, decoded: boolean): Severity {
  return decoded && (s === 'info' || s === 'low' || s === 'medium') ? 'high' : s;
}

/**
 * Classifies one string constant: URLs and hosts, IPs, commands, credential paths and token
 * names, long high-entropy blobs; and, when it decodes statically, what the decoded text holds.
 */
export function classifyString(s: string, site: StringSite, sink: SignalSink): void {
  if (s.length < 4) return;
  const { line, column, decoded } = site;
  const how = decoded ? ' (decoded from an encoded literal)' : '';
  const add = (key: string, category: Parameters<SignalSink['add']>[0]['category'], rule: string, severity: Severity, message: string) =>
    sink.add({ key, category, rule, severity: bump(severity, decoded), message: message + how, line, column });
  const sample = s.length > 4096 ? s.slice(0, 4096) : s;
  if (sample.includes('://')) {
    URL_RE.lastIndex = 0;
    for (let m = URL_RE.exec(sample); m; m = URL_RE.exec(sample)) {
      const host = m[2]!.toLowerCase().replace(/^[^@]*@/, '');
      const full = (host + (m[3] ?? '')).toLowerCase();
      const ip = parseIp(host);
      if (host.startsWith('169.254.169.254') || host === 'metadata.google.internal') {
        add(
          `host:${host}`,
          'network',
          'network/cloud-metadata',
          'critical',
          `reaches the cloud metadata service ${host}, where instance credentials live`,
        );
      } else if (host.endsWith('.onion')) {
        add(`host:${host}`, 'network', 'network/onion-host', 'high', `contacts a Tor hidden service ${host}`);
      } else if (ip && isPublicIp(ip[0], ip[1])) {
        add(`host:${host}`, 'network', 'network/raw-ip', 'high', `contacts a raw IP address ${host} instead of a hostname`);
      } else {
        const exfil = EXFIL_HOSTS.find((h) => full.includes(h));
        if (exfil)
          add(
            `host:${exfil}`,
            'network',
            'network/exfil-service',
            'high',
            `contacts ${exfil}, a paste/webhook/file-drop service often used to exfiltrate data`,
          );
        else if (!ip) add(`host:${host}`, 'network', 'network/new-url-host', 'info', `mentions a URL on the new host ${host}`);
      }
    }
  } else if (/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(s) && s.length < 100) {
    const exfil = EXFIL_HOSTS.find((h) => s.toLowerCase().endsWith(h.replace(/\/.*$/, '')));
    if (exfil)
      add(
        `host:${exfil}`,
        'network',
        'network/exfil-service',
        'high',
        `contacts ${exfil}, a paste/webhook/file-drop service often used to exfiltrate data`,
      );
  } else {
    const ip = parseIp(s.trim());
    if (ip && isPublicIp(ip[0], ip[1]) && !/^\d+\.\d+\.\d+$/.test(s)) {
      add(`host:${s.trim()}`, 'network', 'network/raw-ip', 'medium', `contains the raw IP address ${s.trim()}`);
    }
  }
  const cmd = COMMAND_RE.exec(sample);
  if (cmd && sample.length < 2000) {
    const word = (cmd[1] ?? cmd[2] ?? cmd[3] ?? cmd[0]).trim().toLowerCase();
    add(
      `cmd:${word}`,
      'process',
      'process/suspicious-command',
      'high',
      `builds the shell command "${word}" (downloaders, shells and publishing commands are how payloads run)`,
    );
  }
  for (const [re, label] of SENSITIVE_PATHS) {
    if (re.test(sample))
      add(`path:${label}`, 'credentials', 'credentials/sensitive-path', 'high', `refers to ${label}, where credentials are kept`);
  }
  const token = TOKEN_SET.has(s) ? s : TOKEN_RE.exec(sample)?.[1];
  if (token) add(`token:${token}`, 'credentials', 'credentials/token-name', 'high', `names the secret ${token}`);
  if (s.length >= 1024 && !s.startsWith('data:') && entropy(sample) >= 5.2) {
    add(
      'entropy-string',
      'obfuscation',
      'obfuscation/high-entropy-string',
      'medium',
      `holds a ${s.length}-character high-entropy string (packed or encrypted payload?)`,
    );
  }
  if (!decoded) {
    const text = tryDecodeLiteral(s.trim());
    if (text) classifyDecoded(text, site, sink);
  }
}

/** Runs the classifier on text obtained by static decoding; anything it finds is at least high. */
export function classifyDecoded(text: string, site: StringSite, sink: SignalSink): void {
  const before = sink.signals.length;
  classifyString(text, { ...site, decoded: true }, sink);
  if (sink.signals.length > before) {
    sink.add({
      key: 'decoded-payload',
      category: 'obfuscation',
      rule: 'obfuscation/decoded-string',
      severity: 'high',
      message: 'hides a URL, command or credential name in an encoded literal',
      line: site.line,
      column: site.column,
      endLine: site.endLine,
    });
  }
}

/** Whether `name` is a secret-bearing environment variable. */
export function isTokenName(name: string): boolean {
  return TOKEN_SET.has(name);
}
