/** One hour in ms: retention windows (Gemini retries for 24 h) are counted in hours. */
export const HOUR_MS = 60 * 60 * 1000;
