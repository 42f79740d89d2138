import { z } from 'zod';

/**
 * Evaluated once per worker thread rather than once per run: the SDK's `preloadModules` (see
 * `bundleWorkflows`) shares what this module imports, zod, between the runs a worker thread
 * holds, and freezes it. Zod sets some of its state on first use (the default locale, the
 * memoizer, whether it may compile parsers); using it here sets that state before the freeze,
 * where a run's first schema would otherwise find it frozen.
 */
const probe = z.object({ ready: z.boolean() });
probe.parse({ ready: true });
z.toJSONSchema(probe);

export const preloaded = probe;
