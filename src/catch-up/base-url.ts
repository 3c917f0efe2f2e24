/**
 * The API key travels in a header: over plain `http:` it may only go to this machine (a local fake or proxy).
 * Checked before any connection is made.
 */
export function assertSafeBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(
      "GOOGLE_GEMINI_BASE_URL is not a URL: unset it to use https://generativelanguage.googleapis.com.",
    );
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && isLoopback(url.hostname)) return url;
  throw new TypeError(
    `GOOGLE_GEMINI_BASE_URL must be https:// (plain http:// is allowed only to localhost / 127.0.0.1 / ::1, ` +
      `so the API key never crosses a network in clear): got a ${url.protocol} URL to another host.`,
  );
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
