/**
 * Severities, most severe first, as a plain constant: engine code imports it at run time, and
 * this file must stay free of zod so that the CLI's start-up does not load the schemas.
 */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type SeverityName = (typeof SEVERITIES)[number];
