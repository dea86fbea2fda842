/**
 * GPUs of this machine and how busy they are: the controller list (systeminformation) and
 * live figures from `nvidia-smi --query-gpu`, plus the VRAM Ollama's loaded models hold
 * (/api/ps). Types are inferred from the zod schemas.
 */
import { z } from 'zod';

export const gpuControllerSchema = z.object({
  vendor: z.string(),
  model: z.string(),
  bus: z.string().nullable(),
  /** VRAM in MiB as the controller list reports it; null when unknown. */
  vramMiB: z.number().nullable(),
});
export type GpuController = z.infer<typeof gpuControllerSchema>;

/** One row of nvidia-smi's CSV. Every figure is null when nvidia-smi said [N/A] or [Not Supported]. */
export const nvidiaGpuSchema = z.object({
  index: z.number().int().nullable(),
  name: z.string(),
  uuid: z.string().nullable(),
  utilizationPercent: z.number().nullable(),
  memoryUsedMiB: z.number().nullable(),
  memoryTotalMiB: z.number().nullable(),
  temperatureC: z.number().nullable(),
  powerDrawW: z.number().nullable(),
});
export type NvidiaGpu = z.infer<typeof nvidiaGpuSchema>;

export const gpuReportSchema = z.object({
  controllers: z.array(gpuControllerSchema),
  /** null: nvidia-smi is not installed or failed (see the probe's message). */
  nvidia: z.array(nvidiaGpuSchema).nullable(),
});
export type GpuReport = z.infer<typeof gpuReportSchema>;

/** What one Ollama instance holds in memory right now, summed from /api/ps. */
export const instanceVramSchema = z.object({
  instanceId: z.string(),
  loadedModels: z.number().int(),
  /** Bytes of VRAM the loaded models use (size_vram); null when no model reported it. */
  vramBytes: z.number().nullable(),
  /** Bytes the loaded models use in all (size). */
  totalBytes: z.number().nullable(),
});
export type InstanceVram = z.infer<typeof instanceVramSchema>;
