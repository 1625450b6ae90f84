/**
 * Migration 5: a version can only become `approved` (or `rejected`) when a signed decision for its
 * current bytes and findings is on record. The approval service already checks signatures and quorum;
 * this makes the store itself refuse a state change that no signature backs, whatever code path tries.
 */
export const sql = `
CREATE TRIGGER versions_approved_needs_decision BEFORE UPDATE OF state ON versions
WHEN NEW.state IN ('approved', 'rejected') AND NOT EXISTS (
  SELECT 1 FROM decisions
  WHERE package = NEW.package AND version = NEW.version AND integrity = NEW.integrity AND findings_digest = NEW.findings_digest
    AND decision = CASE NEW.state WHEN 'approved' THEN 'approve' ELSE 'reject' END
)
BEGIN SELECT RAISE(ABORT, 'a version becomes approved or rejected only through a signed decision for its current bytes and findings'); END;
`;
