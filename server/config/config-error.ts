import { CordonError } from '../errors';

export type ConfigErrorCode = 'CONFIG_INVALID' | 'CONFIG_UNREADABLE';

/** A setting that cannot be used; the message names the key and the value. */
export class ConfigError extends CordonError<ConfigErrorCode> {}
