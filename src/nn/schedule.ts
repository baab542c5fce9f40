/**
 * Learning-rate schedules. V3 (paper section 4.2) warms up linearly, holds the peak, then decays
 * with a cosine to a floor ("warmup-stable-decay"); plain warmup + cosine is the common alternative.
 */

export interface ScheduleOptions {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  /** Final learning rate (default peak / 10). */
  min?: number;
  /** Steps held at the peak before the decay starts (0 = plain warmup + cosine). */
  stableSteps?: number;
}

/** Learning rate at a 0-based step. */
export function learningRate(step: number, o: ScheduleOptions): number {
  const min = o.min ?? o.peak / 10,
    stable = o.stableSteps ?? 0;
  if (step < o.warmupSteps) return (o.peak * (step + 1)) / o.warmupSteps;
  if (step < o.warmupSteps + stable) return o.peak;
  const decaySteps = Math.max(1, o.totalSteps - o.warmupSteps - stable);
  const t = Math.min(1, (step - o.warmupSteps - stable) / decaySteps);
  return min + 0.5 * (o.peak - min) * (1 + Math.cos(Math.PI * t));
}
