/**
 * The VRAM each Ollama instance holds, from its fingerprints' /api/ps. Pure; moved here from
 * the GPU probe so the verdict never imports a probe.
 */
import type { InstanceVram } from '../../../shared/gpu';
import type { Fingerprint } from '../../../shared/snapshot';

// ── VRAM held by Ollama ──────────────────────────────────────────────────────────────────

/**
 * What each instance holds right now, from /api/ps. An instance fingerprinted on several
 * listeners reports the same models on each: a model is counted once per instance (by name).
 */
export function vramByInstance(
  instances: ReadonlyArray<{
    id: string;
    fingerprints: ReadonlyArray<Pick<Fingerprint, 'loadedModels'>>;
  }>,
): InstanceVram[] {
  return instances.map((instance) => {
    const models = new Map<string, { size: number | null; sizeVram: number | null }>();
    for (const fingerprint of instance.fingerprints)
      for (const model of fingerprint.loadedModels ?? [])
        if (!models.has(model.name))
          models.set(model.name, { size: model.size, sizeVram: model.sizeVram ?? null });
    const sum = (pick: (m: { size: number | null; sizeVram: number | null }) => number | null) => {
      const values = [...models.values()].map(pick).filter((v): v is number => v !== null);
      return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
    };
    return {
      instanceId: instance.id,
      loadedModels: models.size,
      vramBytes: sum((m) => m.sizeVram),
      totalBytes: sum((m) => m.size),
    };
  });
}
