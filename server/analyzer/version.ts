/** Bumped whenever a rule changes what it reports, so stored digests are compared like for like. */
export const ANALYZER_VERSION = '1.0.0';
