/** Bumped whenever a rule changes what it reports, so stored digests are compared like for like. */
export const ANALYZER_VERSION = '2.1.0';
