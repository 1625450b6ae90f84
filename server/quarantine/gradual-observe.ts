/**
 * The first sight of a package with many versions, in parts. Observing 100,000 versions at once holds
 * the event loop, and one write transaction, for seconds, and every other request waits; in parts of
 * `part` versions, with the event loop free between them, the work per turn is bounded. Until the last
 * part is written, the versions not yet recorded are unknown, so they are hidden: fail closed.
 */
import type { Packument } from '../policy/manifest';
import type { VersionRecord } from '../policy/version-state';
import type { SightingFindings } from '../../storage';
import type { Decisions, QuarantineService } from './quarantine-service';

/** Lets queued I/O and timers run before the next part. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Versions recorded per part (and per transaction). */
export const SIGHTING_PART = 2_000;

/** `quarantine.observe(packument, now)`, recording a large first sight in parts with the event loop free between them. */
export async function observeGradually(
  quarantine: QuarantineService,
  packument: Readonly<Packument>,
  now: number,
  part = SIGHTING_PART,
): Promise<Decisions> {
  if ((await quarantine.unknownVersions(packument)) <= part) return quarantine.observe(packument, now);
  const name = packument.name;
  // Decided once, for every part: versions older than the cooldown of a package never seen are its baseline.
  const packageIsNew = quarantine.sightingInParts.get(name) ?? (await quarantine.isNewPackage(name));
  quarantine.sightingInParts.set(name, packageIsNew);
  try {
    return await inParts(quarantine, packument, now, part, packageIsNew);
  } finally {
    quarantine.sightingInParts.delete(name);
  }
}

async function inParts(
  quarantine: QuarantineService,
  packument: Readonly<Packument>,
  now: number,
  part: number,
  packageIsNew: boolean,
): Promise<Decisions> {
  const name = packument.name;
  const rule = quarantine.ruleFor(name);
  const known = await quarantine.knownVersions(name);
  const inserts: VersionRecord[] = [];
  const refusals: SightingFindings[] = [];
  const versions = Object.keys(packument.versions ?? {});
  for (let i = 0; i < versions.length; i += part) {
    for (const version of versions.slice(i, i + part)) {
      if (known.has(version)) continue;
      const first = quarantine.firstSeen(packument, version, rule, packageIsNew, now);
      inserts.push(first.record);
      if (first.refusal) refusals.push(first.refusal);
    }
    await yieldToLoop();
  }
  const jobs = quarantine.jobsFor(inserts, known, rule, now);
  for (let i = 0; i < inserts.length; i += part) {
    const chunk = inserts.slice(i, i + part);
    const inChunk = new Set(chunk.map((r) => r.version));
    await quarantine.recordFirstSight(
      name,
      now,
      chunk,
      jobs.filter((j) => inChunk.has(j.version)),
      refusals.filter((r) => inChunk.has(r.version)),
    );
    await yieldToLoop();
  }
  // Everything is known now: this checks the digests of the known versions and decides.
  return quarantine.observe(packument, now, { packageIsNew: false });
}
