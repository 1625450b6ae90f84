/**
 * Migration 4: a per-package generation that every change to a package's versions bumps, by trigger,
 * whichever code path or process writes. Caches of served packuments check it with one primary-key
 * lookup, so a write to one package no longer invalidates every cached package.
 */
export const sql = `
ALTER TABLE packages ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER versions_bump_generation_insert AFTER INSERT ON versions
BEGIN UPDATE packages SET generation = generation + 1 WHERE name = NEW.package; END;
CREATE TRIGGER versions_bump_generation_update AFTER UPDATE ON versions
BEGIN UPDATE packages SET generation = generation + 1 WHERE name = NEW.package; END;
CREATE TRIGGER versions_bump_generation_delete AFTER DELETE ON versions
BEGIN UPDATE packages SET generation = generation + 1 WHERE name = OLD.package; END;
`;
