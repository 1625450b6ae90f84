/** Migration 6: the status API looks up the newest job of each version; without this index that scans every job. */
export const sql = `
CREATE INDEX jobs_by_version ON jobs(package, version, created_at);
`;
